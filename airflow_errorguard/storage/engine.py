"""
SQLAlchemy engines for errorguard's storage: one per process per URL, configured per dialect.

- Every engine has ``pool_pre_ping`` and small pools (many task processes each hold one engine).
- SQLite runs in WAL mode with a busy timeout, and write transactions start with
  ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of failing with
  ``database is locked`` when a read lock cannot be upgraded.
- After ``fork()`` the child forgets the parent's engines (their pooled connections belong to the
  parent) and builds its own on first use.

Nothing here reads configuration or connects at import time.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

#: Execution option marking a connection whose next transaction only reads.
READ_ONLY_OPTION = "errorguard_read_only"


@dataclass(frozen=True)
class EngineOptions:
    """
    How errorguard builds an engine.

    :param pool_size: Connections kept open per process.
    :param max_overflow: Extra connections allowed under a burst.
    :param pool_timeout: Seconds to wait for a free pooled connection.
    :param pool_recycle: Seconds after which a pooled connection is replaced.
    :param connect_timeout: Seconds to wait for the server to accept a connection.
    :param busy_timeout_ms: SQLite: milliseconds a writer waits for the lock.
    :param statement_timeout_ms: PostgreSQL: per-statement timeout (``None``: the server's).
    """

    pool_size: int = 2
    max_overflow: int = 3
    pool_timeout: float = 30.0
    pool_recycle: int = 1800
    connect_timeout: int = 10
    busy_timeout_ms: int = 30_000
    statement_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        for name in ("pool_size", "connect_timeout", "busy_timeout_ms"):
            if getattr(self, name) < 1:
                raise ValueError(f"EngineOptions.{name} must be >= 1, got {getattr(self, name)}")
        if self.max_overflow < 0 or self.pool_timeout <= 0:
            raise ValueError(
                f"EngineOptions: max_overflow ({self.max_overflow}) must be >= 0 and "
                f"pool_timeout ({self.pool_timeout}) > 0"
            )
        if self.statement_timeout_ms is not None and self.statement_timeout_ms < 1:
            raise ValueError(
                f"EngineOptions.statement_timeout_ms must be >= 1, got {self.statement_timeout_ms}"
            )


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _is_sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _connect_args(url: URL, options: EngineOptions) -> dict[str, Any]:
    backend = url.get_backend_name()
    if backend == "sqlite":
        return {"timeout": options.busy_timeout_ms / 1000.0}
    args: dict[str, Any] = {"connect_timeout": options.connect_timeout}
    if backend == "postgresql" and options.statement_timeout_ms is not None:
        args["options"] = f"-c statement_timeout={int(options.statement_timeout_ms)}"
    return args


def _install_sqlite_hooks(engine: Engine, options: EngineOptions, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN (pysqlite's own handling defers the lock).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(options.busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                try:
                    cursor.execute("PRAGMA journal_mode = WAL")
                    cursor.execute("PRAGMA synchronous = NORMAL")
                except Exception as err:  # another process holds the database exclusively
                    log.warning("errorguard: could not switch SQLite to WAL mode: %s", err)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_storage_engine(
    url: str | URL, options: EngineOptions | None = None, *, pooled: bool = True
) -> Engine:
    """
    A new engine for *url* configured for errorguard (see the module docstring).

    :param pooled: ``False`` for one-off work such as migrations (no pool: ``NullPool``).
    """
    options = options or EngineOptions()
    url = make_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "connect_args": _connect_args(url, options)}
    memory = is_sqlite(url) and _is_sqlite_memory(url)
    if not pooled and not memory:
        kwargs["poolclass"] = NullPool
    elif not memory:
        kwargs.update(
            pool_size=options.pool_size,
            max_overflow=options.max_overflow,
            pool_timeout=options.pool_timeout,
            pool_recycle=options.pool_recycle,
        )
    engine = create_engine(url, **kwargs)
    if is_sqlite(url):
        _install_sqlite_hooks(engine, options, memory)
    return engine


_engines: dict[tuple[str, EngineOptions], Engine] = {}
_lock = threading.Lock()
_fork_hook_installed = False


def _forget_after_fork() -> None:
    global _lock  # noqa: PLW0603 - the lock may have been held by another thread at fork time
    _lock = threading.Lock()
    for engine in _engines.values():
        engine.dispose(close=False)  # the parent still uses those connections
    _engines.clear()


def get_engine(url: str | URL, options: EngineOptions | None = None) -> Engine:
    """The process's engine for *url* and *options*, created on first use."""
    global _fork_hook_installed  # noqa: PLW0603 - installed once per process
    options = options or EngineOptions()
    key = (make_url(url).render_as_string(hide_password=False), options)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            if not _fork_hook_installed and hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_forget_after_fork)
                _fork_hook_installed = True
            engine = _engines[key] = create_storage_engine(key[0], options)
        return engine


def dispose_engines() -> None:
    """Close every cached engine's pooled connections and forget the engines (tests, shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
