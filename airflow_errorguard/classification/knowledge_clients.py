"""
Built-in knowledge of exception classes of more clients pipelines use, by dotted path (never
imported): SSH (paramiko), Vault (hvac), asyncio AMQP (aiormq, under aio-pika), WebSocket
(websockets), Trino's query errors, memcached (pymemcache), the Hugging Face Hub's repository
errors, format and time-zone readers (protobuf, openpyxl, fastavro, zoneinfo, pendulum, pytz), and
the protocol-mismatch errors of warehouse wire clients (clickhouse-driver, vertica-python,
cassandra-driver). Merged into
:data:`~.knowledge_types.TYPES`; the service codes some of them carry live in
:mod:`.knowledge_services`.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, T


def _many(module: str, names: str, entry: Entry) -> dict[str, Entry]:
    return {f"{module}.{name}": entry for name in names.split()}


_SSH = "paramiko.ssh_exception"
_VAULT = "hvac.exceptions"
_AMQP = "aiormq.exceptions"
_WS = "websockets.exceptions"
_HF = "huggingface_hub.errors"

CLIENT_TYPES: dict[str, Entry] = {
    # --- SSH (paramiko) ----------------------------------------------------------------------
    **_many(
        _SSH,
        "AuthenticationException BadAuthenticationType PasswordRequiredException UnableToAuthenticate",
        (C, 0.95, "means the SSH server refused the credentials or the authentication method"),
    ),
    f"{_SSH}.PartialAuthentication": (C, 0.85, "means the SSH server wants another authentication step"),
    f"{_SSH}.BadHostKeyException": (C, 0.97, "means the SSH host key differs from the trusted one"),
    **_many(
        _SSH, "ConfigParseError IncompatiblePeer CouldNotCanonicalize", (C, 0.85, "is an SSH setup error")
    ),
    # paramiko's aggregate of per-address connect errors (socket.error without an errno).
    f"{_SSH}.NoValidConnectionsError": (T, 0.85, "means no address of the SSH server accepted a connection"),
    f"{_SSH}.ProxyCommandFailure": (T, 0.6, "means the SSH proxy command failed"),
    # The server refused to open a channel: the channel-open code decides when it says more (a
    # reason text like "Connection refused" from a forwarded target reads as transient).
    **{
        path: (C, 0.6, "means the SSH server refused to open the channel")
        for path in (f"{_SSH}.ChannelException", "asyncssh.misc.ChannelOpenError")
    },
    # --- Vault (hvac): one class per HTTP status Vault answers with --------------------------
    f"{_VAULT}.InvalidPath": (C, 0.85, "means no secret is at that path, or its engine is not mounted"),
    **_many(
        _VAULT, "Forbidden Unauthorized", (C, 0.95, "means the Vault token is missing, wrong or not allowed")
    ),
    **_many(
        _VAULT,
        "InvalidRequest ParamValidationError UnsupportedOperation",
        (C, 0.8, "means the request to Vault is wrong"),
    ),
    f"{_VAULT}.VaultNotInitialized": (C, 0.85, "means Vault is not initialised (an operator must set it up)"),
    **_many(
        _VAULT,
        "RateLimitExceeded VaultDown BadGateway InternalServerError",
        (T, 0.88, "means Vault is sealed, down, overloaded or failed internally"),
    ),
    f"{_VAULT}.PreconditionFailed": (T, 0.75, "means a standby node has not caught up yet"),
    # --- AMQP over asyncio (aiormq, raised through aio-pika): one class per reply code ------------
    **_many(
        _AMQP,
        "ProbableAuthenticationError AuthenticationError ChannelAccessRefused ConnectionNotAllowed",
        (C, 0.93, "means the broker refused the credentials, the vhost or the permission (403/530)"),
    ),
    **_many(
        _AMQP,
        "ChannelNotFoundEntity ChannelPreconditionFailed DuplicateConsumerTag ConnectionCommandInvalid "
        "ConnectionSyntaxError ConnectionChannelError ConnectionNotImplemented MethodNotImplemented "
        "IncompatibleProtocolError",
        (C, 0.9, "means the queue, exchange or command does not match the broker's (404/406/503/540)"),
    ),
    f"{_AMQP}.ChannelInvalidStateError": (C, 0.75, "means a channel was used after it closed (a code error)"),
    f"{_AMQP}.InvalidFrameError": (
        C,
        0.7,
        "means the broker answered the handshake with a close (an unknown vhost or a refusal)",
    ),
    **_many(
        _AMQP,
        "ConnectionResourceError ConnectionInternalError ChannelLockedResource",
        (T, 0.85, "means the broker is out of resources, failed internally or the queue is locked"),
    ),
    f"{_AMQP}.ConnectionClosed": (T, 0.8, "means the broker closed the connection"),
    f"{_AMQP}.AMQPConnectionError": (T, 0.8, "is a failure connecting to the broker"),
    # --- WebSocket (websockets); close codes are service codes -------------------------------
    f"{_WS}.InvalidURI": (C, 0.95, "means the configured URL is not a ws:// or wss:// URI"),
    f"{_WS}.InvalidStatus": (
        C,
        0.7,
        "means the endpoint refused the WebSocket handshake (a wrong path or credentials)",
    ),
    f"{_WS}.PayloadTooBig": (D, 0.85, "means a message exceeds the size limit"),
    f"{_WS}.ConcurrencyError": (C, 0.85, "means two coroutines used one connection at once (a code error)"),
    # --- Trino: USER_ERROR is the query's fault; the rest are the cluster's -------------------
    "trino.exceptions.TrinoUserError": (
        C,
        0.75,
        "means the query does not match the schema or is not allowed",
    ),
    "trino.exceptions.TrinoQueryError": (T, 0.6, "is a Trino internal error or a lack of resources"),
    # --- MongoDB (pymongo, bson) and connection pools ------------------------------------------
    **_many(
        "pymongo.errors",
        "ConfigurationError InvalidURI InvalidName",
        (C, 0.92, "means the MongoDB connection string, option or name is invalid"),
    ),
    **_many(
        "pymongo.errors",
        "ConnectionFailure AutoReconnect ServerSelectionTimeoutError NetworkTimeout ExecutionTimeout "
        "WTimeoutError WaitQueueTimeoutError",
        (T, 0.85, "means no MongoDB server answered in time, or the connection dropped"),
    ),
    **_many(
        "pymongo.errors", "DuplicateKeyError DocumentTooLarge", (D, 0.9, "means a document was rejected")
    ),
    "pymongo.errors.InvalidOperation": (C, 0.75, "means the client was used wrongly (a code error)"),
    **_many(
        "bson.errors",
        "InvalidDocument InvalidBSON InvalidId InvalidStringData",
        (D, 0.88, "means a value is not valid BSON"),
    ),
    **_many(
        "psycopg_pool", "PoolTimeout TooManyRequests", (T, 0.9, "means every pooled connection is in use")
    ),
    "psycopg_pool.PoolClosed": (C, 0.85, "means the code uses a connection pool it closed"),
    # --- memcached (pymemcache): one class per reply kind of the text protocol ----------------
    **_many(
        "pymemcache.exceptions",
        "MemcacheClientError MemcacheUnknownCommandError",
        (C, 0.75, "means the server rejected the request as malformed (CLIENT_ERROR / ERROR)"),
    ),
    "pymemcache.exceptions.MemcacheIllegalInputError": (
        D,
        0.85,
        "means a key or value memcached cannot store",
    ),
    "pymemcache.exceptions.MemcacheServerError": (
        T,
        0.7,
        "means the server failed the request (SERVER_ERROR)",
    ),
    "pymemcache.exceptions.MemcacheUnexpectedCloseError": (T, 0.85, "means the server closed the connection"),
    "pymemcache.exceptions.MemcacheUnknownError": (
        C,
        0.7,
        "means the reply is not memcached's protocol (the port is another service's)",
    ),
    # --- Hugging Face Hub: the Hub's X-Error-Code made a class (a 404 or 401 status says less) ---
    **_many(
        _HF,
        "RepositoryNotFoundError RevisionNotFoundError BucketNotFoundError",
        (C, 0.9, "means the repository, revision or bucket named does not exist or is private to the token"),
    ),
    f"{_HF}.GatedRepoError": (C, 0.95, "means the token has not been granted the gated repository"),
    f"{_HF}.DisabledRepoError": (C, 0.9, "means the repository named is disabled"),
    **_many(
        _HF,
        "HFValidationError LocalTokenNotFoundError OfflineModeIsEnabled",
        (C, 0.9, "means a repository id, the token or the offline mode setting is wrong"),
    ),
    # --- formats ------------------------------------------------------------------------------
    **_many(
        "google.protobuf",
        "message.DecodeError json_format.ParseError text_format.ParseError",
        (D, 0.92, "means the bytes or text are not a valid message of this type"),
    ),
    "google.protobuf.message.EncodeError": (D, 0.8, "means a message is missing required fields"),
    "openpyxl.utils.exceptions.InvalidFileException": (D, 0.85, "means the file is not an Excel workbook"),
    "openpyxl.utils.exceptions.IllegalCharacterError": (D, 0.9, "means a value has characters Excel refuses"),
    "openpyxl.utils.exceptions.ReadOnlyWorkbookException": (
        C,
        0.85,
        "means a read-only workbook was written",
    ),
    **_many(
        "fastavro._schema_common",
        "UnknownType SchemaParseException",
        (C, 0.92, "means the Avro schema is invalid or names an undefined type"),
    ),
    "fastavro._validate_common.ValidationError": (D, 0.92, "means a record does not match the Avro schema"),
    "fastavro._read_common.SchemaResolutionError": (C, 0.85, "means the reader and writer schemas disagree"),
    # --- time zones: a name that is not in the database is a setting (or tzdata is missing) ------
    **_many(
        "zoneinfo._common",
        "ZoneInfoNotFoundError",
        (C, 0.92, "means the time zone name is unknown (a setting, or tzdata is not installed)"),
    ),
    "pendulum.tz.exceptions.InvalidTimezone": (C, 0.9, "means the time zone name is unknown"),
    "pytz.exceptions.UnknownTimeZoneError": (C, 0.9, "means the time zone name is unknown"),
    "pandas.errors.OutOfBoundsDatetime": (D, 0.9, "means a timestamp is outside the representable range"),
    # --- warehouse wire protocols: the peer does not speak the client's protocol ---------------------
    **dict.fromkeys(
        (
            "clickhouse_driver.errors.UnexpectedPacketFromServerError",
            "clickhouse_driver.errors.UnknownPacketFromServerError",
            "vertica_python.errors.MessageError",
            "cassandra.connection.ProtocolError",
        ),
        (C, 0.8, "means the peer does not speak the client's wire protocol (a wrong port or service)"),
    ),
}
