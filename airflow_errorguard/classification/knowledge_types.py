"""
Built-in knowledge of exception classes (by dotted path, never imported); message patterns live in
:mod:`.knowledge_messages`.

Type entries are ``path: (category, confidence, explanation)``; the most specific class of an
exception's MRO that is listed decides. Broad classes carry low confidence so that a more specific
signal anywhere in the chain wins; classes not listed (``Exception``, ``RuntimeError``,
``AirflowException``) never decide.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_airflow import AIRFLOW_TYPES
from airflow_errorguard.classification.knowledge_clients import CLIENT_TYPES
from airflow_errorguard.classification.knowledge_engines import ENGINE_TYPES
from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T
from airflow_errorguard.classification.knowledge_libraries import LIBRARY_TYPES
from airflow_errorguard.classification.knowledge_messaging import MESSAGING_TYPES
from airflow_errorguard.classification.knowledge_pipelines import PIPELINE_TYPES
from airflow_errorguard.classification.knowledge_security import SECURITY_TYPES
from airflow_errorguard.classification.knowledge_sqlstate import SQLSTATE
from airflow_errorguard.classification.knowledge_tools import TOOL_TYPES


def _many(paths: str, entry: Entry) -> dict[str, Entry]:
    return dict.fromkeys(paths.split(), entry)


TYPES: dict[str, Entry] = {
    # --- Python standard library ------------------------------------------------------------
    **_many("TimeoutError socket.timeout", (T, 0.9, "is a timeout")),
    **_many(
        "ConnectionError ConnectionResetError ConnectionRefusedError ConnectionAbortedError "
        "BrokenPipeError http.client.RemoteDisconnected http.client.IncompleteRead "
        "http.client.HTTPException ssl.SSLEOFError ssl.SSLZeroReturnError",
        (T, 0.9, "is a dropped or refused connection"),
    ),
    **_many(
        "http.client.InvalidURL http.client.UnknownProtocol",
        (C, 0.9, "means the URL, port or protocol in the setting is invalid"),
    ),
    "locale.Error": (C, 0.85, "means the locale is not installed where the task runs"),
    "re.error": (C, 0.75, "means a regular expression does not compile (a pattern in settings or code)"),
    "shutil.SameFileError": (C, 0.75, "means the source and target paths are the same file"),
    "socket.gaierror": (T, 0.6, "is a name-resolution failure"),
    "ssl.SSLCertVerificationError": (C, 0.95, "means the TLS certificate could not be verified"),
    "ssl.SSLError": (T, 0.6, "is a TLS error"),
    "EOFError": (T, 0.5, "means a stream ended early"),
    "InterruptedError": (T, 0.8, "is an interrupted system call"),
    "BlockingIOError": (T, 0.8, "is a resource temporarily unavailable"),
    "PermissionError": (C, 0.9, "means permission denied"),
    "FileNotFoundError": (C, 0.75, "means a file does not exist (wrong path, or the input has not arrived)"),
    "IsADirectoryError": (C, 0.85, "means a directory was given where a file was expected"),
    "NotADirectoryError": (C, 0.85, "means a file was given where a directory was expected"),
    "FileExistsError": (D, 0.6, "means the target already exists"),
    "OSError": (S, 0.4, "is an operating-system error"),
    "MemoryError": (S, 0.97, "means the process ran out of memory"),
    "airflow_errorguard.exceptions.TaskProcessDied": (
        S,
        0.99,
        "means the task process died without reporting (killed, out of memory, or its worker lost)",
    ),
    "RecursionError": (S, 0.7, "means the recursion limit was hit (deeply nested input, or a bug)"),
    "SystemError": (S, 0.9, "is an interpreter-level error"),
    "KeyboardInterrupt": (S, 0.9, "means the process was interrupted"),
    "SystemExit": (S, 0.9, "means the process was asked to exit"),
    "GeneratorExit": (S, 0.6, "means a generator was closed"),
    **_many(
        "ImportError ModuleNotFoundError", (C, 0.95, "means a module is not installed where the task runs")
    ),
    **_many("NameError UnboundLocalError", (C, 0.8, "is a defect in the task's code")),
    **_many("SyntaxError IndentationError TabError", (C, 0.95, "is a syntax error in loaded code")),
    "NotImplementedError": (C, 0.85, "means the code path is not implemented"),
    "json.decoder.JSONDecodeError": (D, 0.95, "means the input is not valid JSON"),
    **_many(
        "UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError",
        (D, 0.9, "means text is not in the expected encoding"),
    ),
    **_many(
        "decimal.InvalidOperation decimal.ConversionSyntax decimal.DecimalException",
        (D, 0.9, "means a value is not a valid decimal"),
    ),
    "binascii.Error": (D, 0.85, "means encoded data is malformed"),
    "xml.etree.ElementTree.ParseError": (D, 0.9, "means the input is not valid XML"),
    "ZeroDivisionError": (D, 0.8, "is a division by zero in a record's values"),
    **_many(
        "OverflowError FloatingPointError ArithmeticError", (D, 0.75, "is an arithmetic error on a value")
    ),
    "KeyError": (D, 0.8, "means a record lacks an expected key"),
    "IndexError": (D, 0.7, "means a record has fewer elements than expected"),
    "LookupError": (D, 0.6, "is a failed lookup"),
    "ValueError": (D, 0.7, "means a value is invalid"),
    "TypeError": (D, 0.6, "means a value has the wrong type"),
    "AssertionError": (D, 0.5, "is a failed assertion"),
    "AttributeError": (D, 0.4, "is a missing attribute"),
    # --- requests / urllib3 / httpx / aiohttp ----------------------------------------------
    **_many(
        "requests.exceptions.ConnectionError requests.exceptions.Timeout "
        "requests.exceptions.ConnectTimeout requests.exceptions.ReadTimeout "
        "requests.exceptions.ChunkedEncodingError requests.exceptions.RetryError "
        "requests.exceptions.ProxyError",
        (T, 0.9, "is a network failure talking to the service"),
    ),
    "requests.exceptions.SSLError": (T, 0.6, "is a TLS failure"),
    **_many(
        "requests.exceptions.MissingSchema requests.exceptions.InvalidSchema "
        "requests.exceptions.InvalidURL requests.exceptions.InvalidHeader "
        "requests.exceptions.InvalidProxyURL requests.exceptions.TooManyRedirects "
        "requests.exceptions.URLRequired",
        (C, 0.9, "means the request is misconfigured (URL, scheme, header or redirects)"),
    ),
    "requests.exceptions.JSONDecodeError": (D, 0.8, "means the response is not valid JSON"),
    "requests.exceptions.ContentDecodingError": (D, 0.7, "means the response body could not be decoded"),
    "requests.exceptions.HTTPError": (T, 0.3, "is an HTTP error"),
    "requests.exceptions.RequestException": (T, 0.3, "is a requests error"),
    **_many(
        "urllib3.exceptions.NewConnectionError urllib3.exceptions.ConnectTimeoutError "
        "urllib3.exceptions.ReadTimeoutError urllib3.exceptions.ProtocolError "
        "urllib3.exceptions.ProxyError urllib3.exceptions.TimeoutError "
        "urllib3.exceptions.MaxRetryError urllib3.exceptions.IncompleteRead "
        "urllib3.exceptions.NameResolutionError urllib3.exceptions.PoolError",
        (T, 0.85, "is a network failure talking to the service"),
    ),
    "urllib3.exceptions.SSLError": (T, 0.6, "is a TLS failure"),
    "urllib3.exceptions.LocationParseError": (C, 0.9, "means the URL cannot be parsed"),
    **_many(
        "httpx.TimeoutException httpx.NetworkError httpx.RemoteProtocolError httpx.ProxyError "
        "httpx.PoolTimeout httpx.ConnectError httpx.ReadError httpx.WriteError httpx.CloseError "
        "httpx.ConnectTimeout httpx.ReadTimeout httpx.WriteTimeout",
        (T, 0.9, "is a network failure talking to the service"),
    ),
    **_many(
        "httpx.UnsupportedProtocol httpx.InvalidURL httpx.TooManyRedirects httpx.LocalProtocolError",
        (C, 0.9, "means the request is misconfigured"),
    ),
    "httpx.DecodingError": (D, 0.8, "means the response body could not be decoded"),
    "httpx.HTTPStatusError": (T, 0.3, "is an HTTP error"),
    **_many(
        "aiohttp.client_exceptions.ClientConnectionError aiohttp.client_exceptions.ServerDisconnectedError "
        "aiohttp.client_exceptions.ClientOSError aiohttp.client_exceptions.ServerTimeoutError "
        "aiohttp.client_exceptions.ClientPayloadError aiohttp.client_exceptions.ConnectionTimeoutError "
        "aiohttp.client_exceptions.SocketTimeoutError aiohttp.client_exceptions.ClientConnectorError "
        "aiohttp.client_exceptions.ServerConnectionError",
        (T, 0.9, "is a network failure talking to the service"),
    ),
    **_many(
        "aiohttp.client_exceptions.ClientConnectorCertificateError "
        "aiohttp.client_exceptions.ClientConnectorSSLError",
        (C, 0.9, "means the TLS setup is wrong (certificate or protocol)"),
    ),
    **_many(
        "aiohttp.client_exceptions.InvalidURL aiohttp.client_exceptions.InvalidUrlClientError "
        "aiohttp.client_exceptions.NonHttpUrlClientError",
        (C, 0.9, "means the URL is invalid"),
    ),
    "aiohttp.client_exceptions.ContentTypeError": (D, 0.7, "means the response has an unexpected type"),
    # --- botocore / google ------------------------------------------------------------------
    **_many(
        "botocore.exceptions.EndpointConnectionError botocore.exceptions.ConnectionClosedError "
        "botocore.exceptions.ConnectTimeoutError botocore.exceptions.ReadTimeoutError "
        "botocore.exceptions.ResponseStreamingError botocore.exceptions.IncompleteReadError "
        "botocore.exceptions.HTTPClientError botocore.exceptions.ProxyConnectionError",
        (T, 0.9, "is a network failure talking to AWS"),
    ),
    **_many(
        "botocore.exceptions.NoCredentialsError botocore.exceptions.PartialCredentialsError "
        "botocore.exceptions.NoRegionError botocore.exceptions.ProfileNotFound "
        "botocore.exceptions.UnknownServiceError botocore.exceptions.CredentialRetrievalError "
        "botocore.exceptions.InvalidConfigError botocore.exceptions.UnknownRegionError "
        "botocore.exceptions.InvalidRegionError botocore.exceptions.SSOTokenLoadError "
        "botocore.exceptions.TokenRetrievalError",
        (C, 0.95, "means the AWS credentials or region are not configured"),
    ),
    "botocore.exceptions.ParamValidationError": (D, 0.7, "means request parameters failed validation"),
    "botocore.exceptions.WaiterError": (
        T,
        0.6,
        "means a waiter gave up: the resource did not reach the state in time",
    ),
    "botocore.exceptions.ClientError": (T, 0.3, "is an AWS service error"),
    **_many(
        "google.auth.exceptions.RefreshError google.auth.exceptions.UserAccessTokenError",
        (C, 0.95, "means the Google credentials are missing or invalid"),
    ),
    # Whatever the file's own error (JSON, a missing field): the credentials cannot be used.
    "google.auth.exceptions.DefaultCredentialsError": (
        C,
        0.97,
        "means the Google credentials (Application Default Credentials, a key file) are missing or unusable",
    ),
    "google.auth.exceptions.TransportError": (T, 0.85, "is a network failure reaching Google auth"),
    "google.api_core.exceptions.RetryError": (T, 0.8, "means Google's client gave up retrying"),
    "google.api_core.exceptions.GoogleAPIError": (T, 0.3, "is a Google API error"),
    # --- SQLAlchemy --------------------------------------------------------------------------
    **_many(
        "sqlalchemy.exc.TimeoutError sqlalchemy.exc.DisconnectionError",
        (T, 0.9, "is a connection-pool timeout or a dropped connection"),
    ),
    **_many(
        "sqlalchemy.exc.NoSuchTableError sqlalchemy.exc.NoSuchColumnError sqlalchemy.exc.NoSuchModuleError "
        "sqlalchemy.exc.ArgumentError sqlalchemy.exc.NoReferencedTableError "
        "sqlalchemy.exc.NoReferencedColumnError sqlalchemy.exc.CompileError",
        (C, 0.85, "means the schema or engine setup does not match the code"),
    ),
    # --- other libraries seen in pipelines ---------------------------------------------------
    "pendulum.parsing.exceptions.ParserError": (D, 0.9, "means a date/time value cannot be parsed"),
    "dateutil.parser._parser.ParserError": (D, 0.9, "means a date/time value cannot be parsed"),
    "pydantic_core._pydantic_core.ValidationError": (D, 0.9, "means a record failed schema validation"),
    "jsonschema.exceptions.ValidationError": (D, 0.9, "means a record failed schema validation"),
}

for _table in (
    LIBRARY_TYPES,
    CLIENT_TYPES,
    ENGINE_TYPES,
    MESSAGING_TYPES,
    SECURITY_TYPES,
    TOOL_TYPES,
    PIPELINE_TYPES,
    AIRFLOW_TYPES,
):
    TYPES.update(_table)

#: DB-API 2.0 exception names (PEP 249), recognised in any driver and in SQLAlchemy's wrappers.
DBAPI: dict[str, Entry] = {
    "OperationalError": (T, 0.6, "is an operational database error (connection, locks, server state)"),
    "InterfaceError": (T, 0.6, "is a database interface error (often a closed connection)"),
    "InternalError": (S, 0.5, "is an internal database error"),
    "DataError": (D, 0.9, "means a value was rejected by the database"),
    "IntegrityError": (D, 0.9, "is an integrity-constraint violation"),
    "ProgrammingError": (C, 0.75, "means the SQL does not match the schema or the grants"),
    "NotSupportedError": (C, 0.85, "means the database does not support the operation"),
}

#: psycopg2 / psycopg error classes by name, for instances that carry no SQLSTATE of their own
#: (built by application code or a wrapper): each takes the verdict of its SQLSTATE.
PG_ERROR_CLASSES: dict[str, str] = {
    "DeadlockDetected": "40P01",
    "SerializationFailure": "40001",
    "LockNotAvailable": "55P03",
    "QueryCanceled": "57014",
    "AdminShutdown": "57P01",
    "CrashShutdown": "57P02",
    "CannotConnectNow": "57P03",
    "TooManyConnections": "53300",
    "DiskFull": "53100",
    "OutOfMemory": "53200",
    "InsufficientPrivilege": "42501",
    "UndefinedTable": "42P01",
    "UndefinedColumn": "42703",
    "UndefinedFunction": "42883",
    "SyntaxError": "42601",
    "InvalidPassword": "28P01",
    "InvalidAuthorizationSpecification": "28000",
    "InvalidCatalogName": "3D000",
    "ReadOnlySqlTransaction": "25006",
    "UniqueViolation": "23505",
    "ForeignKeyViolation": "23503",
    "NotNullViolation": "23502",
    "CheckViolation": "23514",
    "InvalidTextRepresentation": "22P02",
    "NumericValueOutOfRange": "22003",
    "StringDataRightTruncation": "22001",
    "InvalidDatetimeFormat": "22007",
    "DivisionByZero": "22012",
}
for _name, _state in PG_ERROR_CLASSES.items():
    _category, _confidence, _text = SQLSTATE[_state]
    for _module in ("psycopg2.errors", "psycopg.errors"):
        TYPES[f"{_module}.{_name}"] = (_category, _confidence - 0.02, f"is SQLSTATE {_state} {_text}")
