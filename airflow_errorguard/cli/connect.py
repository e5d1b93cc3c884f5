"""Where the CLI finds errorguard's tables: an Airflow connection (through the hook) or a URL."""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.repositories import Repositories

URL_ENV = "ERRORGUARD_URL"


class UrlStorage(Repositories):
    """errorguard's repositories on a SQLAlchemy URL, without importing Airflow."""

    def __init__(self, url: str) -> None:
        self.url = url

    @cached_property
    def database(self) -> Database:
        from airflow_errorguard.storage.engine import get_engine

        return Database(get_engine(self.url), conn_id="--url")

    def upgrade_schema(self) -> str | None:
        from airflow_errorguard.storage import migrate

        return migrate.upgrade(self.url)


def open_storage(url: str | None, conn_id: str) -> Any:
    """
    :class:`UrlStorage` for ``--url`` (or ``$ERRORGUARD_URL``), else an
    :class:`~airflow_errorguard.hooks.errorguard.ErrorGuardHook` for *conn_id* (which falls back to
    Airflow's metadata database, as it does in every Airflow server process).
    """
    url = url or os.environ.get(URL_ENV)
    if url:
        return UrlStorage(url)
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook

    return ErrorGuardHook(errorguard_conn_id=conn_id)
