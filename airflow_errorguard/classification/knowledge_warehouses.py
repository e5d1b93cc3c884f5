"""
Built-in knowledge of the codes warehouse and data-platform clients carry in their own attributes,
read by :mod:`.warehouse_codes` and keyed ``<service>:<code>`` like every service code (merged into
:data:`~.knowledge_cloud.CLOUD_CODE`):

- ``snowflake:<errno>``: Snowflake's error number (``errno`` of every snowflake-connector-python
  error). Its ``390xxx`` numbers (keyed as that range) are the login service's (a refused
  credential, a locked or disabled user, a network policy), which the connector reports with the
  generic SQLSTATE ``08001``: the number is the finer code and outranks it.
  ``snowflake:http-<status>`` is the HTTP status the login endpoint answered, which the connector
  keeps only in its text.
- ``hadoop:<SimpleName>``: the Java exception a Hadoop service names in its ``RemoteException``
  (the WebHDFS client's ``HdfsError.exception``).

And :data:`CLICKHOUSE_ERROR_NAME`: ClickHouse's error numbers (``ErrorCodes.cpp``) named, so that the
number a server sent (clickhouse-driver's ``ServerException.code``) meets the ``clickhouse:<NAME>``
entries of :mod:`.knowledge_services` without a second table.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, Entry, S, T


def _keyed(service: str, codes: str, entry: Entry) -> dict[str, Entry]:
    return {f"{service}:{code}": entry for code in codes.split()}


#: ClickHouse error number -> its name (the names :mod:`.knowledge_services` knows).
CLICKHOUSE_ERROR_NAME: dict[int, str] = {
    number: name
    for name, number in (
        ("UNSUPPORTED_METHOD", 1),
        ("CANNOT_PARSE_TEXT", 6),
        ("INCORRECT_NUMBER_OF_COLUMNS", 7),
        ("THERE_IS_NO_COLUMN", 8),
        ("DUPLICATE_COLUMN", 15),
        ("NO_SUCH_COLUMN_IN_TABLE", 16),
        ("CANNOT_PARSE_ESCAPE_SEQUENCE", 25),
        ("CANNOT_PARSE_QUOTED_STRING", 26),
        ("CANNOT_PARSE_INPUT_ASSERTION_FAILED", 27),
        ("BAD_ARGUMENTS", 36),
        ("CANNOT_PARSE_DATE", 38),
        ("CHECKSUM_DOESNT_MATCH", 40),
        ("CANNOT_PARSE_DATETIME", 41),
        ("NUMBER_OF_ARGUMENTS_DOESNT_MATCH", 42),
        ("ILLEGAL_TYPE_OF_ARGUMENT", 43),
        ("ILLEGAL_COLUMN", 44),
        ("UNKNOWN_FUNCTION", 46),
        ("UNKNOWN_IDENTIFIER", 47),
        ("NOT_IMPLEMENTED", 48),
        ("UNKNOWN_TYPE", 50),
        ("TYPE_MISMATCH", 53),
        ("UNKNOWN_STORAGE", 56),
        ("UNKNOWN_TABLE", 60),
        ("SYNTAX_ERROR", 62),
        ("ARGUMENT_OUT_OF_BOUND", 69),
        ("CANNOT_CONVERT_TYPE", 70),
        ("CANNOT_PARSE_NUMBER", 72),
        ("UNKNOWN_FORMAT", 73),
        ("UNKNOWN_DATABASE", 81),
        ("UNKNOWN_SETTING", 115),
        ("INCORRECT_DATA", 117),
        ("TOO_LARGE_STRING_SIZE", 131),
        ("ILLEGAL_DIVISION", 153),
        ("TIMEOUT_EXCEEDED", 159),
        ("READONLY", 164),
        ("CANNOT_ALLOCATE_MEMORY", 173),
        ("ILLEGAL_AGGREGATION", 184),
        ("UNKNOWN_USER", 192),
        ("WRONG_PASSWORD", 193),
        ("REQUIRED_PASSWORD", 194),
        ("IP_ADDRESS_NOT_ALLOWED", 195),
        ("TOO_MANY_SIMULTANEOUS_QUERIES", 202),
        ("SOCKET_TIMEOUT", 209),
        ("NETWORK_ERROR", 210),
        ("NOT_AN_AGGREGATE", 215),
        ("NO_ZOOKEEPER", 225),
        ("ABORTED", 236),
        ("MEMORY_LIMIT_EXCEEDED", 241),
        ("TABLE_IS_READ_ONLY", 242),
        ("NOT_ENOUGH_SPACE", 243),
        ("CORRUPTED_DATA", 246),
        ("TOO_MANY_PARTS", 252),
        ("ALL_CONNECTION_TRIES_FAILED", 279),
        ("VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE", 321),
        ("CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN", 349),
        ("AMBIGUOUS_COLUMN_NAME", 352),
        ("ALL_REPLICAS_ARE_STALE", 369),
        ("CANNOT_PARSE_UUID", 376),
        ("QUERY_WAS_CANCELLED", 394),
        ("CANNOT_SCHEDULE_TASK", 439),
        ("CANNOT_PARSE_BOOL", 467),
        ("VIOLATED_CONSTRAINT", 469),
        ("DEADLOCK_AVOIDED", 473),
        ("ACCESS_DENIED", 497),
        ("AUTHENTICATION_FAILED", 516),
        ("KEEPER_EXCEPTION", 999),
    )
}

#: Snowflake login-service numbers about the session's token, which expires by design.
SNOWFLAKE_SESSION_EXPIRED = frozenset({390111, 390112, 390114})

_LOGIN_REFUSED: Entry = (
    C,
    0.95,
    "means Snowflake's login service refused the credential, the user or the client "
    "(a wrong or expired secret, a locked or disabled user, a network policy)",
)
_SESSION_EXPIRED: Entry = (T, 0.92, "means the Snowflake session expired: a new login succeeds")
_BUSY: Entry = (T, 0.9, "means the service is starting, failing over or briefly unavailable")

WAREHOUSE_CODE: dict[str, Entry] = {
    # Snowflake's login service (every 390xxx number, read as the range ``390xxx``: 390100 wrong
    # password, 390144 invalid JWT, 390189 unknown role, 390318 expired OAuth token, 390422 network
    # policy...): the credential, the user or the client is refused...
    "snowflake:390xxx": _LOGIN_REFUSED,
    # ...but for the session's own token, which expires by design (a new login succeeds).
    **{f"snowflake:{number}": _SESSION_EXPIRED for number in sorted(SNOWFLAKE_SESSION_EXPIRED)},
    # 000606: no active warehouse (the session names none, or one that does not exist). Snowflake
    # sends SQLSTATE 57P03, which in PostgreSQL means a server starting up: the number outranks it.
    "snowflake:606": (C, 0.98, "means no warehouse is usable by the session (a setting or a grant)"),
    # The login endpoint's HTTP status, from the connector's generic 250001 error.
    **_keyed(
        "snowflake",
        "http-400 http-401 http-403 http-404 http-405",
        (C, 0.92, "means the login endpoint refused the client (a wrong account URL or a network policy)"),
    ),
    # Hadoop (HDFS NameNode, WebHDFS): the Java exception its RemoteException names.
    **_keyed(
        "hadoop",
        "FileNotFoundException InvalidPathException ParentNotDirectoryException "
        "PathIsNotDirectoryException PathIsNotEmptyDirectoryException",
        (C, 0.85, "means the HDFS path does not exist or is not what the task expects"),
    ),
    **_keyed(
        "hadoop",
        "FileAlreadyExistsException",
        (C, 0.8, "means the target path exists and the write does not overwrite it"),
    ),
    **_keyed(
        "hadoop",
        "AccessControlException AuthorizationException AuthenticationException",
        (C, 0.95, "means the user lacks the HDFS permission or is not authenticated"),
    ),
    **_keyed(
        "hadoop",
        "SafeModeException StandbyException RetriableException ObserverRetryOnActiveException "
        "AlreadyBeingCreatedException RecoveryInProgressException ServerTooBusyException",
        _BUSY,
    ),
    **_keyed(
        "hadoop",
        "DSQuotaExceededException NSQuotaExceededException QuotaExceededException",
        (S, 0.88, "means the directory's space or name quota is used up (an operator must act)"),
    ),
}

__all__ = ["CLICKHOUSE_ERROR_NAME", "SNOWFLAKE_SESSION_EXPIRED", "WAREHOUSE_CODE"]
