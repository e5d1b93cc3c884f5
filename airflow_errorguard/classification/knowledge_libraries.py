"""
Built-in knowledge of exception classes of protocol clients, archive and format readers, process
pools and errorguard itself, by dotted path (never imported). Merged into
:data:`~airflow_errorguard.classification.knowledge_types.TYPES`.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T


def _many(paths: str, entry: Entry) -> dict[str, Entry]:
    return dict.fromkeys(paths.split(), entry)


_EG = "airflow_errorguard.exceptions."

LIBRARY_TYPES: dict[str, Entry] = {
    # --- formats and archives -----------------------------------------------------------------
    "_csv.Error": (D, 0.9, "means a CSV row is malformed"),
    "gzip.BadGzipFile": (D, 0.92, "means the input is not valid gzip data"),
    "zlib.error": (D, 0.9, "means compressed input is corrupt"),
    **_many(
        "zipfile.BadZipFile zipfile.LargeZipFile", (D, 0.92, "means the input is not a valid zip archive")
    ),
    **_many(
        "tarfile.TarError tarfile.ReadError tarfile.HeaderError tarfile.CompressionError "
        "tarfile.StreamError tarfile.ExtractError",
        (D, 0.88, "means the input is not a valid tar archive"),
    ),
    **_many("_lzma.LZMAError lzma.LZMAError", (D, 0.9, "means compressed input is corrupt")),
    "tomllib.TOMLDecodeError": (D, 0.92, "means the input is not valid TOML"),
    "pyarrow.lib.ArrowInvalid": (D, 0.85, "means the input does not parse or cast"),
    "pyarrow.lib.ArrowTypeError": (D, 0.8, "means a value has the wrong type"),
    "pyarrow.lib.ArrowKeyError": (D, 0.8, "means a field or column is missing"),
    "pyarrow.lib.ArrowCapacityError": (D, 0.8, "means a value exceeds Arrow's capacity"),
    "pyarrow.lib.ArrowMemoryError": (S, 0.95, "means Arrow ran out of memory"),
    "pyarrow.lib.ArrowNotImplementedError": (C, 0.75, "means the conversion or feature is not supported"),
    **_many(
        "struct.error _pickle.UnpicklingError pickle.UnpicklingError xml.parsers.expat.ExpatError "
        "email.errors.MessageError "
        "lxml.etree.XMLSyntaxError lxml.etree.ParseError PIL.UnidentifiedImageError "
        "marshmallow.exceptions.ValidationError simplejson.errors.JSONDecodeError "
        "fastjsonschema.exceptions.JsonSchemaValueException yaml.error.YAMLError "
        "msgpack.exceptions.ExtraData "
        "msgpack.exceptions.FormatError",
        (D, 0.88, "means the input could not be parsed or validated"),
    ),
    "jsonschema.exceptions.SchemaError": (C, 0.9, "means the schema itself is invalid"),
    "pydantic.errors.PydanticUserError": (C, 0.9, "means a model is defined wrongly"),
    "configparser.Error": (C, 0.85, "means a configuration file is invalid"),
    **_many("_pickle.PicklingError pickle.PicklingError", (C, 0.8, "means a value cannot be pickled (code)")),
    **_many(
        "pandas.errors.ParserError pandas.errors.EmptyDataError",
        (D, 0.9, "means the input could not be parsed"),
    ),
    # --- database drivers whose InterfaceError is not a DatabaseError (PEP 249) ----------------
    **_many(
        "pg8000.exceptions.InterfaceError psycopg2.InterfaceError pymysql.err.InterfaceError",
        (T, 0.7, "is a database interface error (usually a lost or closed connection)"),
    ),
    "asyncpg.exceptions._base.InterfaceError": (
        C,
        0.7,
        "means the connection was used wrongly (a code error)",
    ),
    # --- processes ------------------------------------------------------------------------------
    "concurrent.futures.process.BrokenProcessPool": (S, 0.9, "means a pool worker died abruptly"),
    "concurrent.futures._base.BrokenExecutor": (S, 0.8, "means the executor's workers are gone"),
    "multiprocessing.pool.MaybeEncodingError": (D, 0.6, "means a result could not be pickled"),
    "subprocess.TimeoutExpired": (T, 0.85, "means a child process did not finish in time"),
    # --- SMTP ---------------------------------------------------------------------------------
    "smtplib.SMTPServerDisconnected": (T, 0.88, "means the SMTP server closed the connection"),
    "smtplib.SMTPNotSupportedError": (C, 0.92, "means the SMTP server does not offer the extension"),
    "smtplib.SMTPAuthenticationError": (C, 0.95, "means the SMTP credentials were rejected"),
    # --- AMQP -----------------------------------------------------------------------------------
    **_many(
        "pika.exceptions.ProbableAuthenticationError pika.exceptions.AuthenticationError",
        (C, 0.92, "means the broker refused the credentials"),
    ),
    "pika.exceptions.ProbableAccessDeniedError": (C, 0.92, "means the vhost is missing or not permitted"),
    **_many(
        "pika.exceptions.StreamLostError pika.exceptions.AMQPHeartbeatTimeout "
        "pika.exceptions.ConnectionBlockedTimeout",
        (T, 0.9, "means the connection to the broker was lost"),
    ),
    "pika.exceptions.AMQPConnectionError": (T, 0.6, "is a failure connecting to the broker"),
    "pika.exceptions.UnroutableError": (C, 0.7, "means a message could not be routed"),
    **_many(
        "pika.exceptions.ChannelWrongStateError pika.exceptions.ConnectionWrongStateError",
        (C, 0.75, "means a channel or connection was used after it closed (a code error)"),
    ),
    "pika.exceptions.IncompatibleProtocolError": (
        C,
        0.85,
        "means the peer does not speak AMQP (wrong port?)",
    ),
    "pika.exceptions.NackError": (T, 0.7, "means the broker did not accept a message"),
    "amqp.exceptions.RecoverableConnectionError": (T, 0.85, "is a recoverable broker connection error"),
    "amqp.exceptions.AMQPNotImplementedError": (C, 0.85, "means the broker does not implement the method"),
    "kombu.exceptions.OperationalError": (T, 0.7, "is a failure talking to the broker"),
    # --- Redis ----------------------------------------------------------------------------------
    "redis.exceptions.ConnectionError": (T, 0.9, "is a Redis connection failure"),
    "redis.exceptions.TimeoutError": (T, 0.9, "is a Redis timeout"),
    "redis.exceptions.BusyLoadingError": (T, 0.9, "means Redis is still loading"),
    "redis.exceptions.AuthenticationError": (C, 0.95, "means the Redis credentials are wrong"),
    "redis.exceptions.AuthorizationError": (C, 0.95, "means the Redis user lacks permission"),
    "redis.exceptions.NoPermissionError": (C, 0.95, "means the Redis ACL user lacks permission"),
    "redis.exceptions.ReadOnlyError": (T, 0.85, "means the node is a read-only replica (failover?)"),
    **_many(
        "redis.exceptions.TryAgainError redis.exceptions.ClusterDownError redis.exceptions.MasterDownError "
        "redis.exceptions.AskError redis.exceptions.MovedError redis.exceptions.ClusterError "
        "redis.exceptions.SlotNotCoveredError",
        (T, 0.9, "means the Redis cluster or replication is changing"),
    ),
    "redis.exceptions.ClusterCrossSlotError": (C, 0.9, "means keys of one command are in different slots"),
    "redis.exceptions.OutOfMemoryError": (S, 0.9, "means Redis reached maxmemory"),
    "redis.exceptions.NoScriptError": (C, 0.7, "means the script is not loaded"),
    "redis.exceptions.LockNotOwnedError": (T, 0.6, "means the lock expired or was taken"),
    "redis.exceptions.DataError": (D, 0.8, "means a value cannot be sent to Redis"),
    # A plain ERR reply: the server refused the command as given (a value, an index, an ID); the
    # conditions that pass carry their own prefixes (BUSY, LOADING, TRYAGAIN...), so never transient.
    "redis.exceptions.ResponseError": (D, 0.5, "means Redis refused the command's arguments as given"),
    "redis.exceptions.WatchError": (T, 0.9, "means a watched key changed (optimistic lock): run it again"),
    "redis.exceptions.InvalidResponse": (C, 0.75, "means the peer does not speak the Redis protocol"),
    "redis.exceptions.RedisClusterException": (T, 0.6, "is a Redis cluster client error"),
    # --- gRPC and Azure -----------------------------------------------------------------------
    "grpc.FutureTimeoutError": (T, 0.9, "means the channel did not become ready in time"),
    **_many(
        "azure.core.exceptions.ServiceRequestError azure.core.exceptions.ServiceResponseError "
        "azure.core.exceptions.IncompleteReadError",
        (T, 0.88, "is a network failure talking to Azure"),
    ),
    **_many(
        "azure.core.exceptions.ClientAuthenticationError "
        "azure.identity._exceptions.CredentialUnavailableError",
        (C, 0.9, "means the Azure credentials are missing or rejected"),
    ),
    "azure.core.exceptions.ResourceExistsError": (D, 0.8, "means the resource already exists"),
    "azure.core.exceptions.DecodeError": (D, 0.8, "means the response could not be decoded"),
    "azure.core.exceptions.TooManyRedirectsError": (C, 0.85, "means the endpoint redirects in a loop"),
    # --- templates, task queues, ORM results ------------------------------------------------------
    **_many(
        "jinja2.exceptions.TemplateSyntaxError jinja2.exceptions.TemplateAssertionError "
        "jinja2.exceptions.TemplateNotFound jinja2.exceptions.TemplatesNotFound "
        "jinja2.exceptions.UndefinedError jinja2.exceptions.SecurityError",
        (C, 0.9, "means a template is wrong, missing or uses a name it is not given"),
    ),
    "jinja2.exceptions.TemplateError": (C, 0.75, "is a template error"),
    **_many(
        "celery.exceptions.NotRegistered celery.exceptions.QueueNotFound "
        "celery.exceptions.ImproperlyConfigured kombu.exceptions.ContentDisallowed",
        (C, 0.9, "means the Celery app, its task names, queues or serializers are set up wrongly"),
    ),
    "celery.exceptions.TimeoutError": (T, 0.9, "means no result arrived in time"),
    **_many(
        "billiard.exceptions.SoftTimeLimitExceeded billiard.exceptions.TimeLimitExceeded",
        (T, 0.8, "means the Celery task hit its time limit"),
    ),
    "billiard.exceptions.WorkerLostError": (S, 0.9, "means the Celery worker process died"),
    **_many(
        "kombu.exceptions.EncodeError kombu.exceptions.DecodeError",
        (D, 0.8, "means a message could not be serialised or deserialised"),
    ),
    "redis.exceptions.LockError": (C, 0.7, "means a lock was used wrongly or expired before release"),
    **_many(
        "sqlalchemy.exc.NoResultFound sqlalchemy.exc.MultipleResultsFound",
        (D, 0.75, "means a query returned no row, or several, where exactly one was expected"),
    ),
    "sqlalchemy.exc.ResourceClosedError": (C, 0.6, "means the code used a closed result or connection"),
    "aiohttp.client_exceptions.TooManyRedirects": (C, 0.9, "means the endpoint redirects in a loop"),
    "aiohttp.client_exceptions.WSServerHandshakeError": (
        C,
        0.85,
        "means the endpoint did not accept a WebSocket handshake (not a WebSocket URL)",
    ),
    # --- errorguard ---------------------------------------------------------------------------
    f"{_EG}CircuitOpenError": (
        T,
        0.95,
        "means its circuit breaker is open: calls are rejected until a probe is let through",
    ),
    f"{_EG}ErrorGuardConfigError": (C, 0.97, "means errorguard's configuration is invalid"),
    f"{_EG}ErrorGuardStorageConfigError": (C, 0.95, "means errorguard's storage connection is not usable"),
    f"{_EG}ErrorGuardCheckpointConflict": (T, 0.9, "means another writer moved the checkpoint"),
    f"{_EG}ErrorGuardStorageError": (S, 0.8, "means errorguard's own storage failed"),
    f"{_EG}ErrorGuardReschedule": (
        T,
        0.95,
        "means a dependency asked for a long wait: the run committed and is rescheduled to resume",
    ),
    f"{_EG}ErrorGuardAlert": (S, 0.5, "is an alert raised for a record (its category decides)"),
    f"{_EG}ErrorGuardBudgetExceeded": (D, 0.95, "means more records failed than the error budget allows"),
}
