"""
The plan of an exception class: what is known about it once and for all (its MRO paths, which
signal attributes it defines, its protocol family), and the attribute tables the plan is built
from. Computed once per class and cached; :mod:`.signals` reads exceptions following it.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_errorguard.classification.call_site import CALL_SITE_SENSITIVE
from airflow_errorguard.classification.library_forks import with_originals
from airflow_errorguard.classification.raised_in import LOADER_SENSITIVE
from airflow_errorguard.classification.signals_protocols import protocol_family

_PATHS_CACHE: dict[type, tuple[str, ...]] = {}
_CACHE_LIMIT = 4096


def type_paths(cls: type) -> tuple[str, ...]:
    """Dotted paths of every class in *cls*'s MRO, most specific first (``object`` left out); a fork's
    class is followed by its original's path (:mod:`.library_forks`)."""
    cached = _PATHS_CACHE.get(cls)
    if cached is not None:
        return cached
    paths = []
    for klass in cls.__mro__:
        if klass is object:
            continue
        module = getattr(klass, "__module__", "") or ""
        name = getattr(klass, "__qualname__", klass.__name__)
        paths.append(name if module == "builtins" else f"{module}.{name}")
    result = with_originals(tuple(paths))
    if len(_PATHS_CACHE) < _CACHE_LIMIT:
        _PATHS_CACHE[cls] = result
    return result


#: Attributes through which libraries attach the underlying error without ``raise ... from``.
WRAPPED_ATTRS = ("orig", "reason", "os_error", "last_attempt", "cause", "original_exception")
WRAPPED_SET = frozenset(WRAPPED_ATTRS)
SIGNAL_ATTRS = (
    *WRAPPED_ATTRS,
    "response",
    "status_code",
    "status",
    "http_status",
    "response_code",
    "code",
    "headers",
    "retry_after",
    "pgcode",
    "sqlstate",
    "diag",
    "errno",
    "sqlite_errorname",
    "grpc_status_code",
    "error",
    "request",
    "request_info",
    "connection_invalidated",
    "exceptions",
    "smtp_code",
    "recipients",
    "reply_code",
    "returncode",
    "error_code",
)

#: Read only when needed: reading them eagerly would trigger deprecated properties (aiohttp's
#: ``code``) or wasted work (request objects are only needed for a reason's host name).
LAZY_ATTRS = frozenset({"code", "diag", "request", "request_info"})
SIGNAL_SET = frozenset(SIGNAL_ATTRS)
EAGER_ATTRS = frozenset(SIGNAL_ATTRS) - LAZY_ATTRS

#: Where an exception's own HTTP status is read from, in this order: ``status_code`` (requests,
#: httpx, openai), ``status`` (aiohttp, OpenAPI-generated clients such as kubernetes, PyGithub,
#: Twilio), ``http_status`` (Stripe), ``response_code`` (python-gitlab), then ``code`` (urllib's
#: HTTPError). Only a value that is a status (100-599) counts.
STATUS_ORDER = ("status_code", "status", "http_status", "response_code", "code")
STATUS_ATTRS = frozenset(STATUS_ORDER)
CLOUD_ATTRS = frozenset({"grpc_status_code", "error"})

CAUSE, MEMBER, CONTEXT = "cause", "member", "context"
NOT_HTTP = frozenset({"amqp", "smtp", "redis", "exit", "clickhouse", "kafka"})
#: Protocol families whose ``errno`` is not the operating system's (Kafka's protocol error codes,
#: Snowflake's error numbers).
NOT_OS_ERRNO = frozenset({"kafka", "snowflake"})
#: Protocol families whose ``errors`` maps each host tried to its error (cassandra-driver's
#: ``NoHostAvailable``): read as members, like an exception group's.
HOST_ERRORS = frozenset({"cassandra"})
#: Class attributes never read, per protocol family: websockets deprecated ``ConnectionClosed.code``
#: and ``.reason`` (each read warns); the close frame (``rcvd``) holds the same facts.
NOT_READ = {"websocket": frozenset({"code", "reason"})}
#: Class attributes never read, per class (anywhere in the MRO): deprecated aliases whose read warns.
#: aiohttp's ``ClientResponseError.code`` is ``.status`` (read instead) under another name.
ALIASES_NOT_READ = {"aiohttp.client_exceptions.ClientResponseError": frozenset({"code"})}

#: Classes whose class-level ``status_code`` is not a response status: Airflow's exceptions carry the
#: status its API server would answer with (``AirflowException.status_code`` is 500), not one received.
STATUS_NOT_RECEIVED = frozenset(
    {"airflow.sdk.exceptions.AirflowException", "airflow.exceptions.AirflowException"}
)


@dataclass(frozen=True)
class ClassPlan:
    """What is known about an exception class once and for all: its MRO paths and which signal
    attributes it defines itself (those need the attribute protocol; any other can only live in the
    instance ``__dict__``)."""

    paths: tuple[str, ...]
    class_defined: frozenset[str]
    eager_class_defined: tuple[str, ...]
    is_group: bool
    is_mysql: bool
    class_status_received: bool
    family: str | None
    status_defined: bool = False
    """Whether the class defines an attribute an HTTP status is read from (and it is received)."""
    is_ssl: bool = False
    plain: bool = False
    """No signal attribute on the class, no protocol family: only the instance dict can hold signals."""
    type_path: str = "BaseException"
    type_name: str = "BaseException"
    own_attrs: tuple[str, ...] = ()
    """:data:`OWN_ATTRS` for errorguard's own exceptions, read into ``LinkFacts.own``."""
    quick: bool = False
    """Facts readable without :class:`~.signals.LinkFacts` when the signal values are scalars: no
    protocol family or group, no lazily read attribute on the class but ``diag``, not
    :attr:`loader_sensitive` (see :mod:`.quick_key`)."""
    diag_defined: bool = False
    """The class defines ``diag`` (psycopg): read for the SQLSTATE when ``pgcode``/``sqlstate`` is empty."""
    quick_attrs: tuple[str, ...] = ()
    """Attributes a quick key reads through the attribute protocol: ``eager_class_defined + own_attrs``."""
    loader_sensitive: bool = False
    """Its verdict depends on who raised it (:mod:`.raised_in`): the traceback is read for the
    ``raised_in`` fact, and it has no quick key (a quick key never reads the traceback)."""
    call_site_sensitive: bool = False
    """Its verdict depends on where it was raised (:mod:`.call_site`): the traceback is read for the
    ``call_site`` fact, which its quick key holds (a plain ``ValueError`` keeps its quick key)."""


_PLANS: dict[type, ClassPlan] = {}

#: Attributes built-in knowledge reads off errorguard's own exceptions, which carry their verdict
#: (``ErrorGuardStorageError.transient``, ``ErrorGuardAlert.category``): facts like any code.
OWN_ATTRS = ("category", "transient")
#: The lazily read attribute a class may define and keep a quick plan: ``diag`` is read only when
#: ``pgcode``/``sqlstate`` is empty, which the quick key checks.
QUICK_LAZY_DEFINED = frozenset({"diag"})


def class_plan(cls: type) -> ClassPlan:
    """The cached :class:`ClassPlan` of *cls*."""
    plan = _PLANS.get(cls)
    if plan is not None:
        return plan
    paths = type_paths(cls)
    mro = getattr(cls, "__mro__", (cls,))
    custom = getattr(cls, "__getattribute__", None) is not BaseException.__getattribute__ or any(
        "__getattr__" in vars(klass) for klass in mro
    )
    defined = {name for klass in mro for name in vars(klass)}
    family = protocol_family(paths)
    class_defined = frozenset(
        SIGNAL_ATTRS if custom else (n for n in SIGNAL_ATTRS if n in defined)
    ) - NOT_READ.get(family or "", frozenset())
    for path in paths:
        class_defined -= ALIASES_NOT_READ.get(path, frozenset())
    is_group = any(path.endswith("BaseExceptionGroup") for path in paths)
    is_mysql = any(p.startswith(("pymysql.", "MySQLdb.", "mysql.connector.")) for p in paths)
    loader_sensitive = not LOADER_SENSITIVE.isdisjoint(paths)
    own_attrs = OWN_ATTRS if any(p.startswith("airflow_errorguard.") for p in paths) else ()
    plan = ClassPlan(
        paths=paths,
        class_defined=class_defined,
        eager_class_defined=tuple(sorted(class_defined & EAGER_ATTRS)),
        is_group=is_group,
        is_mysql=is_mysql,
        class_status_received=STATUS_NOT_RECEIVED.isdisjoint(paths),
        family=family,
        status_defined=not class_defined.isdisjoint(STATUS_ATTRS) and STATUS_NOT_RECEIVED.isdisjoint(paths),
        is_ssl="ssl.SSLError" in paths,
        plain=not class_defined and family is None and not is_mysql and not is_group,
        type_path=paths[0] if paths else "BaseException",
        type_name=(paths[0] if paths else "BaseException").rsplit(".", 1)[-1],
        own_attrs=own_attrs,
        quick=not custom
        and not loader_sensitive
        and family is None
        and not is_group
        and class_defined & LAZY_ATTRS <= QUICK_LAZY_DEFINED,
        diag_defined="diag" in class_defined,
        quick_attrs=tuple(sorted(class_defined & EAGER_ATTRS)) + own_attrs,
        loader_sensitive=loader_sensitive,
        call_site_sensitive=bool(paths) and paths[0] in CALL_SITE_SENSITIVE,
    )
    if len(_PLANS) < _CACHE_LIMIT:
        _PLANS[cls] = plan
    return plan
