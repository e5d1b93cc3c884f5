"""Where the CLI finds errorguard's tables: an Airflow connection (through the hook) or a URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.circuits import SqlCircuitStorage
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.incidents import IncidentRepository
from airflow_errorguard.storage.quarantine import QuarantineRepository

URL_ENV = "ERRORGUARD_URL"


@dataclass
class UrlStorage:
    """errorguard's repositories on a SQLAlchemy URL, without importing Airflow."""

    url: str

    @cached_property
    def database(self) -> Database:
        from airflow_errorguard.storage.engine import get_engine

        return Database(get_engine(self.url), conn_id="--url")

    @cached_property
    def quarantine(self) -> QuarantineRepository:
        return QuarantineRepository(self.database)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.database)

    @cached_property
    def circuits(self) -> SqlCircuitStorage:
        return SqlCircuitStorage(self.database)

    @cached_property
    def incidents(self) -> IncidentRepository:
        return IncidentRepository(self.database)

    def upgrade_schema(self) -> str | None:
        from sqlalchemy.engine import make_url

        from airflow_errorguard.storage import migrate
        from airflow_errorguard.storage.engine import EngineOptions, create_storage_engine

        engine = create_storage_engine(make_url(self.url), EngineOptions(), pooled=False)
        try:
            return migrate.upgrade(engine)
        finally:
            engine.dispose()


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
