"""
Built-in knowledge of message patterns: read only when no code or class of an exception reached
confidence 0.8, to refine broad classes (``OperationalError`` saying "password authentication
failed" is configuration). Entries are ``pattern: (category, confidence, explanation)``.
"""

from __future__ import annotations

import re

from airflow_errorguard.classification.knowledge_airflow import AIRFLOW_MESSAGES
from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T
from airflow_errorguard.classification.knowledge_providers import PROVIDER_MESSAGES

#: Message patterns, searched in the lower-cased message in one pass: the leftmost occurrence wins, and at
#: the same position the pattern listed first.
MESSAGES: tuple[tuple[str, Entry], ...] = (
    # configuration first: these disagree with a transient-looking type (OperationalError...)
    (
        r"password authentication failed|authentication failed|access denied for user|"
        r"invalid (?:username|password|credentials|api[ _-]?key)|login failed|bad credentials|"
        r"\b401 unauthori[sz]ed",
        (C, 0.92, "says authentication failed"),
    ),
    (
        r"permission denied|not authori[sz]ed|insufficient privilege|forbidden",
        (C, 0.88, "says permission was denied"),
    ),
    (
        r"(?:relation|table|database|schema|column|role|function|bucket|index) \S+ does not exist|"
        r"no such (?:table|column|function|collation sequence|module|savepoint)|"
        r"unknown (?:database|column|table)|doesn't exist",
        (C, 0.9, "says a database object does not exist"),
    ),
    (
        r"certificate verify failed|self[- ]signed certificate|hostname mismatch",
        (C, 0.9, "says TLS certificate verification failed"),
    ),
    (
        r"wrong version number|unsupported_protocol|no protocols available|alert protocol version|"
        r"tlsv1 alert unknown ca|alert bad certificate|certificate required|"
        r"does not support ssl|ssl was required|refuses ssl|no pg_hba\.conf entry|rejected ssl upgrade|"
        r"\[ssl\] pem lib|no start line|key values mismatch|"
        r"could not find (?:a suitable tls ca certificate bundle|the tls (?:certificate|key) file)",
        (C, 0.92, "says the TLS or connection security settings do not match the server"),
    ),
    (
        r"could not translate host name|name or service not known|nodename nor servname",
        (C, 0.75, "says the host name does not resolve"),
    ),
    (
        r"conn_id .{0,80} isn't defined|variable \S+ (?:does not exist|not found)",
        (C, 0.95, "says an Airflow connection or variable is not defined"),
    ),
    (r"no module named|cannot import name", (C, 0.9, "says a module is not installed")),
    (
        r"set (?:\w+ )?timeout to -?\d|timeout value|non-blocking socket|"
        r"(?:_?timeout|\bport|\bheartbeat|\bsslmode)\b[^.\n]{0,40}?\b(?:must|should|expected|"
        r"could not be cast|out of range|of type)\b|invalid (?:sslmode|integer|port) value|"
        r"invalid \w+ value: expected|for connection option|connection info string|bad value for \w+",
        (C, 0.9, "says a connection setting (timeout, port, TLS mode, option) is invalid"),
    ),
    (
        r"unknown url type|unsupported url scheme|invalid endpoint|url must specify|"
        r"no connection adapters were found|"
        r"proxy authentication required|no such transport|protocol not known|db index is out of range|"
        r"invalid bucket name|path in endpoint is not allowed|"
        r"error compiling script|"
        r"called from script|@user_script:\d",
        (C, 0.9, "says a URL, endpoint, proxy, transport or script is set up wrongly"),
    ),
    (
        # paramiko, codecs and cryptography raise plain SSHException / LookupError / ValueError: the
        # message is all they give.
        r"not found in known_hosts|not a valid \w+ private key file|private key file is encrypted|"
        r"unknown encoding: |unknown error handler name|"
        r"unable to load pem file|could not deserialize key data|could not decrypt key|bad decrypt|"
        r"password was not given but private key is encrypted|fernet key must be|"
        # PyCryptodome and PyNaCl raise a plain ValueError/TypeError for a key that does not fit.
        r"key format is not supported|not a valid pem|this is not a private key|incorrect \w+ key length|"
        r"key must be (?:exactly )?\d+ bytes",
        (C, 0.88, "says a host key, private key or text encoding setting is wrong"),
    ),
    (
        # A client refusing its own configuration (kafka-python "Unrecognized configs", pymongo "The
        # value of maxPoolSize must be ..."): a ValueError that names a setting, not a record's value.
        r"unrecognized (?:configs?|options?|settings?|keyword arguments?)\b|"
        r"unknown (?:config(?:uration)? (?:key|option)|option|setting)s?\b|the value of \w+ must be|"
        r"unsupported (?:token|grant|auth\w*) type",
        (C, 0.88, "says a client setting or option is unknown or outside its allowed values"),
    ),
    (
        # Broker CONNECT refusals, a closed vocabulary: NATS -ERR reasons (nats-py raises a bare
        # Error with them), MQTT 3.1.1/5 CONNACK reason strings (paho's MQTTException, 1.x and 2.x).
        r"authorization violation|user authentication expired|bad user ?name or password|"
        r"bad authentication method|unacceptable protocol version|unsupported protocol version|"
        r"identifier rejected|client identifier not valid|^banned$",
        (C, 0.9, "says the broker refused the connection's credentials or protocol settings"),
    ),
    (
        # A messaging client refusing its own arguments: a topic/subject/QoS is set up wrongly.
        r"invalid qos|qos must be|cannot contain wildcards|invalid subscription filter|"
        r"invalid stream name|invalid subject",
        (C, 0.85, "says a topic, subject, stream name or QoS setting is invalid"),
    ),
    (
        # Transaction misuse and statement/parameter mismatches: the calling code is wrong.
        r"no transaction is active|there is no transaction in progress|no active connection|"
        r"parameter (?:argument/)?count mismatch|incorrect number of bindings supplied",
        (C, 0.85, "says the code manages transactions or statement parameters wrongly"),
    ),
    (
        # DDL run twice (a migration applied to a database that already has its objects): SQLite
        # and others give only an OperationalError with this text.
        r"(?:table|index|view|trigger|sequence|schema) \S+ already exists",
        (C, 0.85, "says a database object already exists (a migration or DDL applied twice)"),
    ),
    (
        # A codec setting, not a record: pyarrow's compression arguments, zstd's parameter ranges,
        # and protocol extensions (STARTTLS, AUTH) a client is set to require but the server lacks.
        r"invalid value for compression|compression (?:level|parameter)\b[^.\n]{0,40}?"
        r"\b(?:illegal|invalid|must be|out of range)|unsupported compression (?:codec|type)|"
        r"extension (?:is )?not supported",
        (C, 0.85, "says a codec setting or a required protocol extension is not available"),
    ),
    (
        # The MySQL wire protocol's own framing check (PyMySQL and its ports aiomysql and asyncmy
        # raise it as a bare InternalError): the peer's bytes are not MySQL packets, so the port
        # belongs to another service, or one connection is shared by concurrent users.
        r"packet sequence number wrong",
        (
            C,
            0.75,
            "says the peer's bytes are not MySQL protocol packets (a wrong port, or a shared connection)",
        ),
    ),
    (
        r"in read-only mode|attempt to write a readonly database|read-only database",
        (C, 0.85, "says the database was opened read-only"),
    ),
    (r"can't pickle|cannot pickle", (C, 0.85, "says a value cannot be pickled (a code error)")),
    (
        # NumPy, pandas, multiprocessing and concurrent.futures raise a plain ValueError/TypeError
        # for these defects of the calling code: an array used as a bool, an unknown dtype name, a
        # cast the casting rule forbids, pickled objects refused, work sent to a closed pool, a
        # start method or socket family the platform lacks.
        r"truth value of an? \w+ (?:with more than one element )?is ambiguous|"
        r"data type [\"'][^\"']{1,40}[\"'] not understood|according to the (?:casting )?rule '|"
        r"when allow_pickle=false|pool (?:is )?not running|cannot schedule new futures after shutdown|"
        r"released too many times|cannot find context for '|family af_\w+ is not recognized",
        (C, 0.85, "says the code used an array, dtype, pool or lock wrongly (a defect)"),
    ),
    (
        r"cluster mode is not enabled|cluster support disabled",
        (C, 0.92, "says a cluster client talks to a server that is not a cluster"),
    ),
    (
        r'near "[^"]*": syntax error|syntax error at or near|error in your sql syntax|'
        r"unknown (?:sub)?command|wrong number of arguments for|^(?:err )?syntax error|"
        # Redis refusing a command in the connection's mode (subscribed, MULTI): a plain ERR reply.
        r"are allowed in this context",
        (C, 0.85, "says a statement or command is not understood (a code or version error)"),
    ),
    (
        r"missing \d+ required positional argument|got an unexpected keyword argument|"
        r"takes \d+ positional arguments? but \d+ (?:was|were) given|invalid argument\(s\) '",
        (C, 0.85, "says code was called with the wrong arguments (a defect)"),
    ),
    # system
    (
        r"out of memory|cannot allocate memory|memoryerror|oom[- ]?kill",
        (S, 0.92, "says the host ran out of memory"),
    ),
    (
        r"no space left on device|disk (?:is )?full|quota exceeded on disk|read-only file system|"
        r"too many open files|killed by signal|received sig(?:kill|term)|signals\.sig(?:kill|segv|bus)",
        (S, 0.92, "says the host ran out of a resource"),
    ),
    # transient
    (
        r"too many requests|rate limit|throttl|slow ?down|quota exceeded|resource exhausted",
        (T, 0.9, "says the service is rate limiting"),
    ),
    (
        r"deadlock|could not serialize access|serialization failure|lock wait timeout|"
        r"database is locked|lock(?:ed)? timeout|could not obtain lock|could not set lock|conflicting lock",
        (T, 0.9, "says a lock or deadlock conflict occurred"),
    ),
    (
        r"server closed the connection|connection (?:reset|refused|aborted|closed|timed out)|"
        r"broken pipe|server has gone away|lost connection|ssl syscall error|eof occurred in violation|"
        r"remote end closed|connection was forcibly closed|network is unreachable|no route to host|"
        r"network error|too many clients|maximum (?:account )?(?:active )?connections exceeded|"
        r"(?:client|connection) is not (?:currently )?connected|"
        r"temporary failure in name resolution|remaining connection slots|too many connections|"
        r"the database system is (?:starting up|shutting down|in recovery mode)|"
        r"terminating connection due to administrator command|ssl connection has been closed",
        (T, 0.88, "says the connection failed"),
    ),
    (
        r"service unavailable|temporarily unavailable|bad gateway|gateway time-?out|try again later|"
        r"please retry|server (?:is )?(?:busy|overloaded)|upstream connect error|"
        r"(?:server|broker) unavailable|connection rate exceeded",
        (T, 0.85, "says the service is temporarily unavailable"),
    ),
    (r"timed out|timeout", (T, 0.75, "says an operation timed out")),
    # data
    (
        r"invalid input syntax|invalid literal|could not convert|malformed|unexpected token|"
        r"expecting value|invalid (?:date|datetime|timestamp|format|json|value)|does not match format|"
        r"unconverted data remains|codec can't (?:decode|encode)|out of range|value too long|"
        r"cannot be null|violates (?:not-null|unique|foreign key|check) constraint|duplicate (?:key|entry)|"
        r"incorrect (?:\w+ )?value|nonetype|end-of-stream marker|compressed (?:file|data) ended|"
        r"invalid data stream|not a gzip file|incorrect header check|bad magic number|not a zip file|"
        # lz4.frame raises a bare RuntimeError naming the failed LZ4F_ call; pyarrow an OSError.
        r"\blz4f?[_ ]\w+ (?:failed|returned)|truncated compressed stream",
        (D, 0.85, "says a value in the input is invalid"),
    ),
    *AIRFLOW_MESSAGES,
    *PROVIDER_MESSAGES,
)
MESSAGE_REGEX = re.compile("|".join(f"(?P<m{i}>{pattern})" for i, (pattern, _) in enumerate(MESSAGES)))
"""One pass over the lower-cased message (patterns are lower case: no IGNORECASE, which is slow)."""
