"""
Where the CLI finds errorguard's tables, cheapest first: ``--url`` / ``$ERRORGUARD_URL``, the
connection's ``AIRFLOW_CONN_<ID>`` variable (both without importing Airflow), else the connection
through Airflow (secrets backends, the metadata database) with the hook's metadata fallback.

The CLI never creates a database as a side effect: a SQLite file that does not exist, or a
database without errorguard's tables, is reported with what to do instead.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from airflow_errorguard.cli.exit_codes import ERROR, CliError
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import EngineOptions
from airflow_errorguard.storage.repositories import Repositories

URL_ENV = "ERRORGUARD_URL"
#: What to do when the database or its errorguard tables are missing.
REMEDY = "run `airflow db migrate` (or `errorguard db upgrade` for a database of its own) or pass `--url`"


class UrlStorage(Repositories):
    """
    errorguard's repositories on a SQLAlchemy URL, without importing Airflow.

    :param url: Where the tables are.
    :param source: Where the URL came from, for messages (``--url``, ``$AIRFLOW_CONN_...``).
    :param options: Engine options (from the connection's extra).
    """

    def __init__(
        self, url: str | URL, *, source: str = "--url", options: EngineOptions | None = None
    ) -> None:
        self.url = make_url(url)
        self.source = source
        self.options = options

    @cached_property
    def database(self) -> Database:
        from airflow_errorguard.storage.engine import get_engine

        return Database(get_engine(self.url, self.options), conn_id=self.source)

    def upgrade_schema(self) -> str | None:
        from airflow_errorguard.storage import migrate

        return migrate.upgrade(self.url.render_as_string(hide_password=False))


def open_storage(url: str | None, conn_id: str) -> Any:
    """
    :class:`UrlStorage` for ``--url`` (or ``$ERRORGUARD_URL``) or for the connection's
    ``AIRFLOW_CONN_<ID>`` variable; else an
    :class:`~airflow_errorguard.hooks.errorguard.ErrorGuardHook` for *conn_id* (which falls back to
    Airflow's metadata database, as it does in every Airflow server process).
    """
    if url:
        return UrlStorage(url, source="--url")
    if os.environ.get(URL_ENV):
        return UrlStorage(os.environ[URL_ENV], source=f"${URL_ENV}")
    from airflow_errorguard.hooks import connection_url

    conn = connection_url.connection_from_env(conn_id)
    if conn is not None:
        return UrlStorage(
            connection_url.sqlalchemy_url(conn),
            source=f"$AIRFLOW_CONN_{conn_id.upper()}",
            options=connection_url.engine_options(conn),
        )
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook

    return ErrorGuardHook(errorguard_conn_id=conn_id)


def storage_url(storage: Any) -> URL:
    return storage.url if isinstance(storage, UrlStorage) else storage.sqlalchemy_url


def origin(storage: Any) -> str:
    """Where the CLI took *storage*'s database from, for messages."""
    if isinstance(storage, UrlStorage):
        return storage.source
    if storage.source == "metadata":
        return "Airflow's metadata database"
    return f"connection {storage.conn_id!r}"


def describe(storage: Any) -> str:
    """The database *storage* points at (password hidden) and where that came from."""
    return f"{storage_url(storage).render_as_string(hide_password=True)} (from {origin(storage)})"


def require_existing_database(storage: Any) -> None:
    """Refuse a SQLite file that does not exist (opening it would create an empty database)."""
    url = storage_url(storage)
    if url.get_backend_name() != "sqlite":
        return
    path = url.database or ""
    if path in ("", ":memory:") or url.query.get("mode") == "memory" or path.startswith("file:"):
        return
    if not Path(path).is_file():
        raise CliError(
            f"no SQLite database file at {Path(path).resolve()} (from {origin(storage)}): {REMEDY}", ERROR
        )


def missing_tables(storage: Any) -> list[str]:
    """errorguard's tables absent from the database *storage* points at (empty: all there)."""
    from airflow_errorguard.storage.tables import errorguard_metadata

    with storage.database.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    return sorted(t for t in errorguard_metadata.tables if t not in present)
