"""
``ErrorGuardHook``: an Airflow connection -> errorguard's storage (engine, repositories, unit of work).

Task code reaches errorguard's tables only through a connection (default ``errorguard_default``,
e.g. ``AIRFLOW_CONN_ERRORGUARD_DEFAULT=postgresql://user:pass@host:5432/airflow``): Airflow 3 blocks
the metadata database's ORM in workers. Server processes (api-server, scheduler, CLI) fall back to
Airflow's metadata database when the connection is not defined.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from airflow.providers.common.sql.hooks.sql import DbApiHook
from sqlalchemy import text
from sqlalchemy.engine import URL, Engine, make_url

from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import ErrorGuardStorageConfigError, ErrorGuardStorageError
from airflow_errorguard.hooks import connection_url
from airflow_errorguard.hooks.runtime import metadata_db_url, orm_blocked
from airflow_errorguard.storage import migrate
from airflow_errorguard.storage.database import Clock, Database, translate_errors, utcnow
from airflow_errorguard.storage.engine import EngineOptions, create_storage_engine, get_engine
from airflow_errorguard.storage.payload import PayloadPolicy
from airflow_errorguard.storage.repositories import Repositories

log = logging.getLogger(__name__)


def _is_not_found(err: BaseException) -> bool:
    return any(cls.__name__ == "AirflowNotFoundException" for cls in type(err).__mro__)


def payload_policy_from_settings() -> PayloadPolicy:
    """The payload policy configured in ``[errorguard]`` (``max_payload_bytes``, ``redact_fields``...)."""
    from airflow_errorguard.settings import load_settings

    settings = load_settings()
    return PayloadPolicy(
        max_bytes=settings.max_payload_bytes,
        redact_fields=frozenset(settings.redact_fields),
        hash_fields=frozenset(settings.hash_fields),
        hash_key=settings.hash_key.encode("utf-8"),
    )


class ErrorGuardHook(DbApiHook, Repositories):
    """
    Reach errorguard's tables through an Airflow connection.

    Any SQLAlchemy-capable connection works (postgres, mysql, sqlite, ``errorguard``), pointing at
    the metadata database or elsewhere. One engine per process and URL, with ``pool_pre_ping``
    and small pools; SQLite in WAL mode with a busy timeout. Engine options come from the
    connection's extra (``pool_size``, ``max_overflow``, ``pool_timeout``, ``pool_recycle``,
    ``connect_timeout``, ``busy_timeout_ms``, ``statement_timeout_ms``).

    :param errorguard_conn_id: The connection id (default ``errorguard_default``).
    :param payload_policy: How quarantined payloads are stored; default: ``[errorguard]`` settings.
    :param clock: Returns the current aware UTC time (for tests).
    """

    conn_name_attr = "errorguard_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "errorguard"
    hook_name = "ErrorGuard"
    supports_autocommit = True

    def __init__(
        self, *args: Any, payload_policy: PayloadPolicy | None = None, clock: Clock = utcnow, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._payload_policy = payload_policy
        self._clock = clock

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form of the ``errorguard`` type: a database server, or a full URL in extra."""
        return {
            "hidden_fields": [],
            "relabeling": {"schema": "Database"},
            "placeholders": {
                "host": "db.example.com",
                "port": "5432",
                "schema": "airflow",
                "extra": '{"sqlalchemy_scheme": "postgresql+psycopg2", "pool_size": 2}',
            },
        }

    @property
    def conn_id(self) -> str:
        return str(self.get_conn_id())

    @cached_property
    def _target(self) -> tuple[URL, EngineOptions, str]:
        """(URL, engine options, where it came from) -- resolved once per hook."""
        conn_id = self.conn_id
        try:
            conn = self.connection
        except Exception as err:
            if not _is_not_found(err):
                raise ErrorGuardStorageError(
                    f"errorguard could not look up connection {conn_id!r}: {type(err).__name__}: {err}",
                    conn_id=conn_id,
                    transient=True,
                ) from err
            return self._fallback(conn_id)
        return connection_url.sqlalchemy_url(conn), connection_url.engine_options(conn), "connection"

    def _fallback(self, conn_id: str) -> tuple[URL, EngineOptions, str]:
        env = f"AIRFLOW_CONN_{conn_id.upper()}"
        if orm_blocked():
            raise ErrorGuardStorageConfigError(
                f"errorguard: connection {conn_id!r} is not defined, and task code cannot use Airflow's "
                "metadata database (Airflow 3 blocks it in workers and triggers). Define the connection "
                f"for the workers, e.g. {env}='postgresql://user:password@host:5432/airflow' "
                f"(or {env}='sqlite:////absolute/path/airflow.db').",
                conn_id=conn_id,
            )
        url = metadata_db_url()
        if not url:
            raise ErrorGuardStorageConfigError(
                f"errorguard: connection {conn_id!r} is not defined and Airflow's metadata database URL is "
                f"unknown here; set {env}.",
                conn_id=conn_id,
            )
        log.info("errorguard: connection %r not defined; using Airflow's metadata database", conn_id)
        return make_url(url), EngineOptions(), "metadata"

    @property
    def source(self) -> str:
        """``"connection"``, or ``"metadata"`` when falling back to Airflow's metadata database."""
        return self._target[2]

    @property
    def sqlalchemy_url(self) -> URL:
        """The URL errorguard's storage is reached at."""
        return self._target[0]

    def get_uri(self) -> str:
        return self.sqlalchemy_url.render_as_string(hide_password=False)

    def get_sqlalchemy_engine(self, engine_kwargs: dict[str, Any] | None = None) -> Engine:
        """
        The process-wide engine for this connection's URL (created on first use). With
        *engine_kwargs* a new, uncached engine is returned instead.
        """
        url, options, _ = self._target
        if engine_kwargs:
            from sqlalchemy import create_engine

            return create_engine(url, **engine_kwargs)
        with translate_errors(self.conn_id, url.get_backend_name(), "creating the engine"):
            try:
                return get_engine(url, options)
            except ImportError as err:  # the URL's driver is not installed
                raise ErrorGuardStorageConfigError(
                    f"errorguard: connection {self.conn_id!r} needs the database driver for "
                    f"{url.drivername!r}: {err}",
                    conn_id=self.conn_id,
                ) from err

    def get_conn(self) -> Any:
        """A DB-API connection from the pool (``DbApiHook.run``/``get_records`` use it)."""
        with translate_errors(self.conn_id, self.sqlalchemy_url.get_backend_name(), "connecting"):
            return self.get_sqlalchemy_engine().raw_connection()

    @cached_property
    def payload_policy(self) -> PayloadPolicy:
        return self._payload_policy or payload_policy_from_settings()

    @cached_property
    def database(self) -> Database:
        """The engine with this hook's connection id and clock (what repositories run on)."""
        return Database(self.get_sqlalchemy_engine(), conn_id=self.conn_id, clock=self._clock)

    def upgrade_schema(self) -> str | None:
        """Create/upgrade errorguard's tables on this connection (separate-database deployments)."""
        url = self.sqlalchemy_url
        engine = create_storage_engine(url, self._target[1], pooled=False)
        try:
            return migrate.upgrade(engine)
        finally:
            engine.dispose()

    def test_connection(self) -> tuple[bool, str]:  # type: ignore[override]
        """Connect, and check errorguard's tables are at the shipped revision."""
        try:
            with self.database.transaction("testing the connection", write=False) as conn:
                conn.execute(text("SELECT 1"))
                revision = migrate.current_revision(conn)
        except Exception as err:
            return False, str(err)
        head = migrate.head_revision()
        if revision != head:
            return (
                False,
                f"connected, but errorguard tables are at {revision!r}, expected {head!r}: "
                "run the migrations",
            )
        return True, f"connected; errorguard tables at {head}"
