"""
Built-in knowledge of error codes: HTTP status, SQLSTATE, MySQL and SQLite codes, errno and cloud
service codes (those live in :mod:`.knowledge_cloud`, re-exported here). Each entry is
``code: (category, confidence, explanation)``.
"""

from __future__ import annotations

import errno as E

from airflow_errorguard.classification.knowledge_cloud import CLOUD_CODE  # noqa: F401 - re-exported
from airflow_errorguard.classification.model import ErrorCategory

T = ErrorCategory.TRANSIENT
D = ErrorCategory.DATA
C = ErrorCategory.CONFIGURATION
S = ErrorCategory.SYSTEM

Entry = tuple[ErrorCategory, float, str]

HTTP_STATUS: dict[int, Entry] = {
    400: (D, 0.85, "is a rejected request (bad input)"),
    401: (C, 0.95, "means the credentials are missing or invalid"),
    403: (C, 0.95, "means the credentials lack permission"),
    404: (D, 0.6, "means the resource was not found (a missing record, or a wrong URL)"),
    405: (C, 0.9, "means the HTTP method is not allowed (wrong endpoint)"),
    406: (C, 0.85, "means the requested content type is not available"),
    407: (C, 0.95, "means the proxy needs authentication"),
    408: (T, 0.95, "is a request timeout"),
    409: (D, 0.75, "is a conflict with the resource's current state"),
    410: (D, 0.8, "means the resource is gone"),
    411: (C, 0.85, "means a Content-Length is required"),
    413: (D, 0.85, "means the payload is too large"),
    414: (D, 0.85, "means the URI is too long"),
    415: (C, 0.9, "means the media type is not supported"),
    422: (D, 0.9, "means the payload failed validation"),
    423: (T, 0.8, "means the resource is locked"),
    425: (T, 0.9, "means the server asks to retry later (too early)"),
    429: (T, 0.97, "is rate limiting"),
    431: (D, 0.8, "means the request headers are too large"),
    451: (C, 0.8, "means the resource is unavailable for legal reasons"),
    500: (T, 0.8, "is a server-side error"),
    501: (C, 0.85, "means the server does not implement the request"),
    502: (T, 0.95, "is a bad gateway (upstream unavailable)"),
    503: (T, 0.97, "is a server-side outage"),
    504: (T, 0.95, "is a gateway timeout"),
    505: (C, 0.85, "means the HTTP version is not supported"),
    507: (S, 0.8, "means the server ran out of storage"),
    509: (T, 0.85, "means the bandwidth limit was exceeded"),
    511: (C, 0.9, "means network authentication is required"),
    520: (T, 0.85, "is an unknown origin error behind a CDN"),
    521: (T, 0.9, "means the origin server is down"),
    522: (T, 0.9, "is a connection timeout behind a CDN"),
    523: (T, 0.85, "means the origin is unreachable"),
    524: (T, 0.9, "is a timeout behind a CDN"),
    529: (T, 0.9, "means the service is overloaded"),
}
#: Fallback by status class when a status is not listed above.
HTTP_CLASS: dict[int, Entry] = {
    3: (C, 0.75, "is a redirect the client did not follow (a redirect loop, or a moved endpoint)"),
    4: (D, 0.6, "is a client error"),
    5: (T, 0.75, "is a server-side error"),
}

#: SQLSTATE: exact codes first, then the two-character class.
SQLSTATE: dict[str, Entry] = {
    "08001": (T, 0.9, "(could not establish connection)"),
    "08004": (T, 0.85, "(server rejected the connection)"),
    "08006": (T, 0.95, "(connection failure)"),
    "08003": (T, 0.9, "(connection does not exist)"),
    "08P01": (T, 0.7, "(protocol violation)"),
    "0A000": (C, 0.9, "(feature not supported)"),
    "22001": (D, 0.97, "(string data right truncation: value too long)"),
    "22003": (D, 0.97, "(numeric value out of range)"),
    "22007": (D, 0.97, "(invalid datetime format)"),
    "22008": (D, 0.97, "(datetime field overflow)"),
    "22012": (D, 0.95, "(division by zero)"),
    "22023": (C, 0.92, "(invalid parameter value: a setting or argument is wrong)"),
    "22P02": (D, 0.97, "(invalid text representation)"),
    "23502": (D, 0.97, "(not-null violation)"),
    "23503": (D, 0.97, "(foreign key violation)"),
    "23505": (D, 0.97, "(unique violation)"),
    "23514": (D, 0.97, "(check violation)"),
    "2BP01": (C, 0.9, "(dependent objects still exist: the DDL is wrong)"),
    "25006": (C, 0.9, "(read-only transaction: connected to a replica?)"),
    "25P02": (T, 0.6, "(in failed SQL transaction: an earlier statement failed)"),
    "28000": (C, 0.97, "(invalid authorization specification)"),
    "28P01": (C, 0.98, "(invalid password)"),
    "3D000": (C, 0.97, "(database does not exist)"),
    "3F000": (C, 0.97, "(schema does not exist)"),
    "40001": (T, 0.97, "(serialization failure: rerun the transaction)"),
    "40P01": (T, 0.97, "(deadlock detected: rerun the transaction)"),
    "42501": (C, 0.97, "(insufficient privilege)"),
    "42601": (C, 0.95, "(syntax error)"),
    "42703": (C, 0.95, "(undefined column)"),
    "42883": (C, 0.95, "(undefined function)"),
    "42P01": (C, 0.97, "(undefined table)"),
    "53100": (S, 0.95, "(disk full)"),
    "53200": (S, 0.95, "(out of memory)"),
    "53300": (T, 0.95, "(too many connections)"),
    "53400": (C, 0.8, "(configuration limit exceeded)"),
    "55P03": (T, 0.95, "(lock not available)"),
    "55006": (T, 0.85, "(object in use)"),
    "57014": (T, 0.85, "(query canceled: statement timeout)"),
    "57P01": (T, 0.95, "(admin shutdown)"),
    "57P02": (T, 0.95, "(crash shutdown)"),
    "57P03": (T, 0.97, "(cannot connect now: the server is starting up)"),
    "57P04": (T, 0.9, "(database dropped)"),
    "58030": (S, 0.9, "(I/O error on the server)"),
    "XX000": (S, 0.7, "(internal error)"),
    "XX001": (S, 0.9, "(data corrupted)"),
    "XX002": (S, 0.9, "(index corrupted)"),
}
SQLSTATE_CLASS: dict[str, Entry] = {
    "08": (T, 0.9, "(connection exception)"),
    "0A": (C, 0.85, "(feature not supported)"),
    "0L": (C, 0.9, "(invalid grantor)"),
    "0P": (C, 0.9, "(invalid role specification)"),
    "21": (D, 0.9, "(cardinality violation)"),
    "22": (D, 0.95, "(data exception)"),
    "23": (D, 0.95, "(integrity constraint violation)"),
    "28": (C, 0.97, "(invalid authorization)"),
    "2B": (C, 0.8, "(dependent objects still exist: the DDL is wrong)"),
    "3D": (C, 0.95, "(invalid catalog name)"),
    "3F": (C, 0.95, "(invalid schema name)"),
    "40": (T, 0.95, "(transaction rollback)"),
    "42": (C, 0.9, "(syntax error or access rule violation)"),
    "44": (D, 0.9, "(WITH CHECK OPTION violation)"),
    "53": (S, 0.85, "(insufficient resources)"),
    "54": (D, 0.8, "(program limit exceeded)"),
    "55": (T, 0.75, "(object not in prerequisite state)"),
    "57": (T, 0.85, "(operator intervention)"),
    "58": (S, 0.9, "(system error)"),
    "F0": (C, 0.9, "(configuration file error)"),
    "HV": (C, 0.8, "(foreign data wrapper error)"),
    "XX": (S, 0.75, "(internal error)"),
}

#: MySQL / MariaDB server and client error numbers (pymysql, mysqlclient, mysql-connector).
MYSQL: dict[int, Entry] = {
    1021: (S, 0.95, "(disk full)"),
    1022: (D, 0.95, "(duplicate key)"),
    1030: (S, 0.7, "(error from the storage engine)"),
    1041: (S, 0.9, "(out of memory)"),
    1043: (T, 0.7, "(bad handshake)"),
    1050: (C, 0.85, "(table already exists)"),
    1051: (C, 0.9, "(unknown table)"),
    1060: (C, 0.85, "(duplicate column name)"),
    1091: (C, 0.85, "(can't drop: the field or key does not exist)"),
    1109: (C, 0.9, "(unknown table)"),
    1129: (C, 0.85, "(host blocked after too many connection errors)"),
    1130: (C, 0.95, "(host not allowed to connect)"),
    1136: (D, 0.8, "(column count doesn't match the value count)"),
    1153: (C, 0.8, "(packet bigger than max_allowed_packet)"),
    1203: (T, 0.9, "(user has too many connections)"),
    1251: (C, 0.9, "(client does not support the authentication protocol)"),
    1265: (D, 0.9, "(data truncated for a column)"),
    1267: (C, 0.8, "(illegal mix of collations)"),
    1290: (C, 0.7, "(the server runs with --read-only: a replica?)"),
    1364: (D, 0.9, "(a field has no default value)"),
    1411: (D, 0.9, "(incorrect value for a function)"),
    1412: (T, 0.85, "(table definition changed: retry the transaction)"),
    1461: (T, 0.8, "(too many prepared statements)"),
    1637: (T, 0.85, "(too many active concurrent transactions)"),
    1690: (D, 0.95, "(value out of range)"),
    1698: (C, 0.95, "(access denied for user)"),
    1792: (C, 0.85, "(cannot execute in a read-only transaction)"),
    1969: (T, 0.9, "(query interrupted: max_statement_time exceeded)"),
    2059: (C, 0.9, "(authentication plugin cannot be loaded)"),
    2061: (C, 0.9, "(authentication requires a secure connection)"),
    3572: (T, 0.95, "(lock not available: NOWAIT)"),
    3819: (D, 0.95, "(check constraint violated)"),
    4025: (D, 0.95, "(CONSTRAINT failed)"),
    1037: (S, 0.9, "(out of memory)"),
    1040: (T, 0.95, "(too many connections)"),
    1044: (C, 0.97, "(access denied to database)"),
    1045: (C, 0.98, "(access denied: bad user or password)"),
    1048: (D, 0.97, "(column cannot be null)"),
    1049: (C, 0.97, "(unknown database)"),
    1054: (C, 0.95, "(unknown column)"),
    1062: (D, 0.97, "(duplicate entry)"),
    1064: (C, 0.95, "(SQL syntax error)"),
    1114: (S, 0.9, "(table is full)"),
    1142: (C, 0.97, "(command denied to user)"),
    1146: (C, 0.97, "(table doesn't exist)"),
    1205: (T, 0.97, "(lock wait timeout)"),
    1213: (T, 0.97, "(deadlock found)"),
    1226: (T, 0.85, "(user resource limit exceeded)"),
    1227: (C, 0.95, "(access denied: privilege needed)"),
    1264: (D, 0.97, "(value out of range)"),
    1292: (D, 0.95, "(incorrect value)"),
    1317: (T, 0.85, "(query interrupted)"),
    1366: (D, 0.97, "(incorrect value for column)"),
    1406: (D, 0.97, "(data too long for column)"),
    1451: (D, 0.95, "(foreign key: row is referenced)"),
    1452: (D, 0.97, "(foreign key constraint fails)"),
    1927: (T, 0.9, "(connection was killed)"),
    2002: (T, 0.9, "(can't connect through socket)"),
    2003: (T, 0.95, "(can't connect to server)"),
    2005: (C, 0.8, "(unknown server host)"),
    2006: (T, 0.95, "(server has gone away)"),
    2013: (T, 0.95, "(lost connection during query)"),
    2026: (C, 0.8, "(SSL connection error)"),
    2055: (T, 0.9, "(lost connection)"),
    3024: (T, 0.85, "(query execution time exceeded)"),
    4031: (T, 0.9, "(disconnected by the server: idle timeout)"),
    1052: (C, 0.9, "(ambiguous column: the query is wrong)"),
    1115: (C, 0.9, "(unknown character set)"),
    1172: (D, 0.8, "(result consisted of more than one row)"),
    1193: (C, 0.9, "(unknown system variable)"),
    1222: (C, 0.9, "(SELECTs with different numbers of columns)"),
    1231: (C, 0.9, "(a variable cannot be set to that value)"),
    1242: (D, 0.8, "(subquery returns more than one row)"),
    1273: (C, 0.9, "(unknown collation)"),
    1365: (D, 0.95, "(division by zero)"),
}

#: An unlisted MySQL/MariaDB server error number: about the statement or session, not the link.
MYSQL_SERVER_ERROR: Entry = (C, 0.65, "(a server error about the statement or session, not the link)")

#: SQLite extended error names (``sqlite3.Error.sqlite_errorname``, Python 3.11+).
SQLITE: dict[str, Entry] = {
    "SQLITE_BUSY": (T, 0.97, "(database is busy)"),
    "SQLITE_LOCKED": (T, 0.95, "(table is locked)"),
    "SQLITE_CONSTRAINT": (D, 0.95, "(constraint violation)"),
    "SQLITE_MISMATCH": (D, 0.9, "(datatype mismatch)"),
    "SQLITE_TOOBIG": (D, 0.9, "(value too big)"),
    "SQLITE_RANGE": (D, 0.8, "(parameter index out of range)"),
    "SQLITE_CANTOPEN": (C, 0.9, "(cannot open the database file)"),
    "SQLITE_PERM": (C, 0.9, "(access permission denied)"),
    "SQLITE_AUTH": (C, 0.95, "(authorization denied)"),
    "SQLITE_READONLY": (C, 0.85, "(attempt to write a read-only database)"),
    "SQLITE_NOTADB": (C, 0.85, "(file is not a database)"),
    "SQLITE_FULL": (S, 0.95, "(database or disk is full)"),
    "SQLITE_IOERR": (S, 0.85, "(disk I/O error)"),
    "SQLITE_NOMEM": (S, 0.95, "(out of memory)"),
    "SQLITE_CORRUPT": (S, 0.9, "(database disk image is malformed)"),
    "SQLITE_INTERRUPT": (T, 0.8, "(operation interrupted)"),
    "SQLITE_PROTOCOL": (T, 0.8, "(locking protocol error)"),
    "SQLITE_SCHEMA": (T, 0.7, "(the schema changed: prepare again)"),
    "SQLITE_ABORT": (T, 0.6, "(the operation was aborted)"),
}


def _errnos(names: str, entry: Entry) -> dict[int, Entry]:
    return {getattr(E, name): entry for name in names.split() if hasattr(E, name)}


ERRNO: dict[int, Entry] = {
    **_errnos(
        "ECONNRESET ECONNREFUSED ECONNABORTED ETIMEDOUT EHOSTUNREACH ENETUNREACH ENETDOWN ENETRESET "
        "EPIPE EAGAIN EWOULDBLOCK EINTR EBUSY EHOSTDOWN EINPROGRESS EALREADY ESHUTDOWN ENOTCONN "
        "ETXTBSY ESTALE",
        (T, 0.9, "is a transient network or resource condition"),
    ),
    **_errnos("EACCES EPERM", (C, 0.9, "means permission denied (check file modes, roles, credentials)")),
    **_errnos(
        "ENOENT ENOTDIR EISDIR ENXIO ENODEV EADDRNOTAVAIL EAFNOSUPPORT EPROTONOSUPPORT",
        (C, 0.8, "means a path or address does not exist (wrong setting, or the input has not arrived)"),
    ),
    **_errnos("EADDRINUSE", (T, 0.7, "means the address is in use")),
    **_errnos(
        "ENOSPC EDQUOT EMFILE ENFILE ENOMEM EROFS EIO EFBIG EMLINK ENOBUFS",
        (S, 0.95, "means the host ran out of a resource (disk, memory, file handles) or has failing I/O"),
    ),
    **_errnos("EEXIST ENOTEMPTY", (D, 0.6, "means the target already exists or is not empty")),
    **_errnos(
        "ELOOP ENAMETOOLONG EXDEV",
        (C, 0.8, "means a configured path is unusable (a symlink loop, a name too long, across devices)"),
    ),
    **_errnos("EOPNOTSUPP ENOTSUP", (C, 0.7, "means the operation is not supported here")),
    **_errnos("EDEADLK ETIME EPROTO", (T, 0.8, "is a transient lock, timer or protocol condition")),
    **_errnos("ENOLCK", (S, 0.8, "means the host ran out of locks")),
    **_errnos("ENOEXEC ELIBBAD", (C, 0.85, "means the file is not an executable for this platform")),
    **_errnos("E2BIG", (C, 0.7, "means the argument list is too long")),
    **_errnos("EINVAL", (D, 0.5, "means an invalid argument was passed")),
}
#: socket.gaierror codes (negative): name resolution.
GAI_ERRNO: dict[int, Entry] = {
    -3: (T, 0.9, "is a temporary failure in name resolution"),
    -4: (T, 0.7, "is a non-recoverable failure in name resolution"),
    -2: (C, 0.75, "means the host name is not known (check the connection's host)"),
    -5: (C, 0.75, "means the host has no address"),
    -8: (C, 0.8, "means the service name is not known"),
}
