"""
Where a generic error was raised, when that decides its meaning: the ``call_site`` fact.

A plain ``ValueError``, ``TypeError``, ``KeyError`` or ``binascii.Error`` raised on a record (user
code calling ``int()`` on a field, a missing key in a row, a value that is not hex) is data. The same
classes raised while a client library reads its *settings* are configuration: a Redis URL whose port
is not a number, an asyncpg DSN with a bad port, ``logging.config.dictConfig`` given a bad config,
a kombu transport named wrongly, a NaCl key that is not hex, an SSH ``host_key`` that is not base64.
No class, code or message tells the two apart; the traceback does. The same holds for a client's own
generic base error: docker's ``DockerException`` is a ``DOCKER_HOST`` with an unknown scheme when
``parse_host`` raises it, and a daemon that cannot be reached when the version check does.

:func:`call_site` reads the traceback of such an exception, innermost frame first. A frame that is
one of the settings-reading call sites of :data:`CALL_SITES` (by module and qualified function name)
or :data:`CALL_SITE_MODULES` (a module, or a submodule of it, that only reads settings) names the
call site; a frame of the generic machinery those call sites run through (:data:`MACHINERY`: base64,
``urllib.parse``, ``subprocess``...) is skipped; any other frame (a user's own code calling
``int()``) means no call site. What a frame is is remembered by its code object (and globals,
both held: at most :data:`MAX_CODES`), so a repeated user-code ``ValueError`` costs a walk to its
innermost traceback link and one dictionary lookup.

The walk is bounded (:data:`MAX_LINKS` traceback links, the innermost :data:`MAX_FRAMES` of them
examined), reads only module and function names, keeps no frame and never raises. It runs only for
the exact classes of :data:`CALL_SITE_SENSITIVE` (a subclass has its own meaning), which keep their
quick key: the fact is part of it (:mod:`.quick_key`), of the chain key (a ``LinkFacts`` slot) and
so of the by-shape memo (:mod:`.verdict_shapes`).

The call sites were read in the libraries' sources; a library raising these classes from C (the
``zstandard`` extension's level check) leaves no frame to read and is not recognised.
"""

from __future__ import annotations

from types import CodeType, FrameType, TracebackType
from typing import Any

from airflow_errorguard.classification.module_owner import owning_module

#: Exact classes (the type path of the exception's own class) whose verdict depends on where they
#: were raised.
CALL_SITE_SENSITIVE = frozenset(
    {"ValueError", "TypeError", "KeyError", "binascii.Error", "docker.errors.DockerException"}
)

#: Modules (or a submodule of them) of generic machinery the call sites run through: skipped on the
#: way out from the innermost frame. A call site is checked first, so a listed function of one of
#: them (``asyncio.tasks.wait_for``) still counts.
MACHINERY = frozenset(
    {
        "base64",
        "binascii",
        "codecs",
        "encodings",
        "enum",
        "ipaddress",
        "urllib.parse",
        "os",
        "posixpath",
        "subprocess",
        "functools",
        "contextlib",
        "typing",
        "nacl.encoding",
    }
)

#: Modules that only read settings (the module or a submodule of it) -> the library named in a
#: verdict's rule.
CALL_SITE_MODULES: dict[str, str] = {
    "logging.config": "logging.config",  # dictConfig, fileConfig and their configurators
    "polars.datatypes._parse": "polars",  # a data type given by name
}

#: Settings-reading call sites by ``(module, qualified function name)`` -> the library named in a
#: verdict's rule.
CALL_SITES: dict[tuple[str, str], str] = {
    # asyncio: an awaitable's timeout argument
    ("asyncio.tasks", "wait_for"): "asyncio",
    ("asyncio.timeouts", "Timeout.reschedule"): "asyncio",
    # asyncpg: the DSN and connect() arguments
    ("asyncpg.connect_utils", "_parse_connect_dsn_and_args"): "asyncpg",
    ("asyncpg.connect_utils", "_parse_connect_arguments"): "asyncpg",
    ("asyncpg.connect_utils", "_parse_hostlist"): "asyncpg",
    ("asyncpg.connect_utils", "_validate_port_spec"): "asyncpg",
    ("asyncpg.connect_utils", "_parse_tls_version"): "asyncpg",
    # kombu: the broker URL and the transport named in it
    ("kombu.transport", "resolve_transport"): "kombu",
    ("kombu.transport", "get_transport_cls"): "kombu",
    ("kombu.utils.url", "parse_url"): "kombu",
    ("kombu.utils.url", "url_to_parts"): "kombu",
    ("kombu.connection", "Connection.__init__"): "kombu",
    # redis-py: the URL, the client's, pool's and connection's arguments
    ("redis.connection", "parse_url"): "redis",
    ("redis.connection", "ConnectionPool.from_url"): "redis",
    ("redis.connection", "ConnectionPool.__init__"): "redis",
    ("redis.connection", "AbstractConnection.__init__"): "redis",
    ("redis.connection", "Connection.__init__"): "redis",
    ("redis.connection", "SSLConnection.__init__"): "redis",
    ("redis.connection", "UnixDomainSocketConnection.__init__"): "redis",
    ("redis.client", "Redis.from_url"): "redis",
    ("redis.client", "Redis.__init__"): "redis",
    ("redis.asyncio.connection", "parse_url"): "redis",
    ("redis.asyncio.connection", "ConnectionPool.from_url"): "redis",
    ("redis.asyncio.connection", "ConnectionPool.__init__"): "redis",
    ("redis.asyncio.connection", "AbstractConnection.__init__"): "redis",
    ("redis.asyncio.connection", "Connection.__init__"): "redis",
    ("redis.asyncio.connection", "SSLConnection.__init__"): "redis",
    ("redis.asyncio.client", "Redis.from_url"): "redis",
    ("redis.asyncio.client", "Redis.__init__"): "redis",
    # PyNaCl: a key or secret given in its text form
    ("nacl.signing", "VerifyKey.__init__"): "nacl",
    ("nacl.signing", "SigningKey.__init__"): "nacl",
    ("nacl.public", "PublicKey.__init__"): "nacl",
    ("nacl.public", "PrivateKey.__init__"): "nacl",
    ("nacl.secret", "SecretBox.__init__"): "nacl",
    ("nacl.secret", "Aead.__init__"): "nacl",
    # API SDKs: the client's credentials, checked before any request is sent
    ("simple_salesforce.api", "Salesforce.__init__"): "simple_salesforce",
    ("anthropic._client", "Anthropic._validate_headers"): "anthropic",
    ("anthropic._client", "AsyncAnthropic._validate_headers"): "anthropic",
    # docker: the daemon URL (DOCKER_HOST, base_url)
    ("docker.utils.utils", "parse_host"): "docker",
    # SQLAlchemy: a database URL
    ("sqlalchemy.engine.url", "make_url"): "sqlalchemy",
    ("sqlalchemy.engine.url", "_parse_url"): "sqlalchemy",
    # Airflow providers: a hook reading its connection, an operator's command settings
    ("airflow.providers.ssh.hooks.ssh", "SSHHook.__init__"): "airflow.providers.ssh",
    ("airflow.providers.standard.hooks.subprocess", "SubprocessHook.run_command"): (
        "airflow.providers.standard"
    ),
}
_MODULES_OF_SITES = frozenset(module for module, _ in CALL_SITES)

#: Traceback links followed at most (a longer traceback has no ``call_site``).
MAX_LINKS = 1024
#: Innermost frames examined at most.
MAX_FRAMES = 16


def call_site(exc: BaseException) -> str | None:
    """``library:module.function`` of the settings-reading call site that raised *exc* (its
    innermost frame beyond the generic machinery), or ``None``. Never raises."""
    try:
        tb = exc.__traceback__
        if type(tb) is not TracebackType:
            return None
        innermost = tb
        for _ in range(MAX_LINKS - 1):  # to the innermost link, keeping none: most often it decides alone
            following = innermost.tb_next
            if following is None:
                break
            innermost = following
        else:
            return None
        frame = innermost.tb_frame  # _frame_fact(frame)'s memo hit, inlined: every repeat's
        code = frame.f_code
        known = _BY_CODE.get(id(code))
        if known is not None and known[0] is code and known[1] is frame.f_globals:
            found = known[2]
        else:
            found = _frame_fact(frame)
        if found is not _MACHINERY:
            return found if type(found) is str else None
        outer: list[TracebackType] = []  # raised in machinery: read outwards, bounded
        link: TracebackType | None = tb
        while link is not None and link is not innermost:
            outer.append(link)
            link = link.tb_next
        for outside in reversed(outer[-(MAX_FRAMES - 1) :] if MAX_FRAMES > 1 else ()):
            found = _frame_fact(outside.tb_frame)
            if found is not _MACHINERY:
                return found if type(found) is str else None
        return None
    except BaseException:  # a hostile frame's globals: no fact rather than a broken classification
        return None


#: What :func:`_frame_fact` says of a frame of the generic machinery (read on outwards).
_MACHINERY = object()
#: Frame facts by code object (``id`` -> ``(code, globals, fact)``; both held, so the id stays theirs).
_BY_CODE: dict[int, tuple[CodeType, dict[str, Any], object]] = {}
#: Code objects remembered at most.
MAX_CODES = 4096


def _frame_fact(frame: FrameType) -> object:
    """The call site *frame* is (``library:module.function``), :data:`_MACHINERY`, or ``None`` (any
    other frame: the caller's own); remembered by code object and globals."""
    code = frame.f_code
    namespace = frame.f_globals
    known = _BY_CODE.get(id(code))
    if known is not None and known[0] is code and known[1] is namespace:
        return known[2]
    module = namespace.get("__name__")
    found: object = None
    if type(module) is str:
        function = code.co_qualname
        library = site_of(module, function)
        if library is not None:
            found = f"{library}:{module}.{function}"
        elif owning_module(module, MACHINERY) is not None:
            found = _MACHINERY
    if len(_BY_CODE) < MAX_CODES:
        _BY_CODE[id(code)] = (code, namespace, found)
    return found


def site_of(module: str, function: str) -> str | None:
    """The library whose settings-reading call site *function* of *module* is, or ``None``."""
    if module in _MODULES_OF_SITES:
        found = CALL_SITES.get((module, function))
        if found is not None:
            return found
    owner = owning_module(module, CALL_SITE_MODULES)
    return None if owner is None else CALL_SITE_MODULES[owner]


__all__ = [
    "CALL_SITES",
    "CALL_SITE_MODULES",
    "CALL_SITE_SENSITIVE",
    "MACHINERY",
    "MAX_FRAMES",
    "MAX_LINKS",
    "call_site",
    "site_of",
]
