"""
errorguard's storage: tables on a private SQLAlchemy ``MetaData``, their alembic migrations, and
repositories for the quarantine, checkpoints, error events and the audit trail.

Pure SQLAlchemy Core: nothing here needs Airflow except
:mod:`~airflow_errorguard.storage.db_manager` (``airflow db migrate`` integration). Workers reach
the tables through :class:`~airflow_errorguard.hooks.errorguard.ErrorGuardHook`.
"""

from __future__ import annotations

from airflow_errorguard.storage.checkpoints import Checkpoint, CheckpointKey
from airflow_errorguard.storage.events import ErrorEvent
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.payload import PayloadPolicy
from airflow_errorguard.storage.quarantine_types import (
    InsertResult,
    Page,
    QuarantineFilter,
    QuarantineItem,
    QuarantineRow,
)
from airflow_errorguard.storage.unit_of_work import UnitOfWork

__all__ = [
    "Checkpoint",
    "CheckpointKey",
    "ErrorEvent",
    "InsertResult",
    "Page",
    "PayloadPolicy",
    "QuarantineFilter",
    "QuarantineItem",
    "QuarantineRow",
    "TaskIdentity",
    "UnitOfWork",
]
