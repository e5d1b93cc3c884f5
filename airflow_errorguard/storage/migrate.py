"""
Create and upgrade errorguard's tables with alembic, in any database.

``airflow db migrate`` does this for the metadata database (through
:class:`~airflow_errorguard.storage.db_manager.ErrorGuardDBManager`). For a deployment that keeps
errorguard's tables in a database of their own, run the equivalent of ``errorguard db upgrade``::

    from airflow_errorguard.storage.migrate import upgrade

    upgrade("postgresql+psycopg2://errorguard:...@db:5432/errorguard")

Concurrent upgrades are serialised (PostgreSQL advisory lock, MySQL ``GET_LOCK``, SQLite write
lock), so every worker may call :func:`upgrade` at start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, Engine, make_url

from airflow_errorguard.storage.database import translate_errors
from airflow_errorguard.storage.engine import create_storage_engine

VERSION_TABLE = "alembic_version_errorguard"
PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"
_PG_LOCK_KEY = 0x6572726F72677561  # "errorgua"
_MYSQL_LOCK = "errorguard_migrations"


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    """The alembic ``Config`` of errorguard's migrations (*url* for offline SQL generation)."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of errorguard."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:  # pragma: no cover - a packaging mistake
        raise RuntimeError(f"errorguard migrations have {len(heads)} heads: {heads}")
    return heads[0]


def current_revision(connection: Connection) -> str | None:
    """The revision the database on *connection* is at (``None``: no errorguard tables yet)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE}
    ).get_current_revision()


@contextmanager
def _connection(target: str | URL | Engine) -> Iterator[Connection]:
    engine = target if isinstance(target, Engine) else create_storage_engine(target, pooled=False)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        if engine is not target:
            engine.dispose()


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    backend = conn.dialect.name
    params: dict[str, object]
    if backend == "postgresql":
        lock, unlock = "SELECT pg_advisory_lock(:k)", "SELECT pg_advisory_unlock(:k)"
        params = {"k": _PG_LOCK_KEY}
    elif backend in ("mysql", "mariadb"):
        lock, unlock = "SELECT GET_LOCK(:k, 300)", "SELECT RELEASE_LOCK(:k)"
        params = {"k": _MYSQL_LOCK}
    else:  # SQLite: the migration transaction holds the write lock (BEGIN IMMEDIATE)
        yield
        return
    conn.execute(text(lock), params)
    conn.commit()  # the lock is session-level: it outlives this transaction
    try:
        yield
    finally:
        conn.rollback()
        conn.execute(text(unlock), params)
        conn.commit()


def _run(target: str | URL | Engine, operation: str, revision: str, *, up: bool) -> str | None:
    from alembic import command

    url = target.url if isinstance(target, Engine) else make_url(target)
    label = url.render_as_string(hide_password=True)
    config = alembic_config()
    with (
        translate_errors(label, url.get_backend_name(), operation),
        _connection(target) as conn,
        _migration_lock(conn),
    ):
        with conn.begin():  # one transaction: on SQLite the write lock is taken first
            config.attributes["connection"] = conn
            if up:
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
        with conn.begin():
            return current_revision(conn)


def upgrade(target: str | URL | Engine, revision: str = "heads") -> str | None:
    """
    Create or upgrade errorguard's tables in the database at *target* (a URL or an engine).
    A no-op when they are current. Returns the revision the database is at afterwards.

    :raises ErrorGuardStorageError: the database refused or could not be reached.
    """
    return _run(target, f"upgrading errorguard tables to {revision}", revision, up=True)


def downgrade(target: str | URL | Engine, revision: str = "base") -> str | None:
    """Downgrade errorguard's tables to *revision* (``"base"`` drops them all)."""
    return _run(target, f"downgrading errorguard tables to {revision}", revision, up=False)
