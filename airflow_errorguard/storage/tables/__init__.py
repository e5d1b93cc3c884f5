"""errorguard's tables (SQLAlchemy Core, on the private :data:`errorguard_metadata`)."""

from __future__ import annotations

from airflow_errorguard.storage.tables.audit import audit_table
from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.checkpoint import checkpoint_table
from airflow_errorguard.storage.tables.circuit import CIRCUIT_STATES, circuit_event_table, circuit_table
from airflow_errorguard.storage.tables.committed_file import committed_file_table
from airflow_errorguard.storage.tables.error_event import error_event_table
from airflow_errorguard.storage.tables.error_signature import error_signature_table
from airflow_errorguard.storage.tables.hourly_count import (
    hourly_count_table,
    hourly_fingerprint_table,
    rollup_state_table,
)
from airflow_errorguard.storage.tables.incident import INCIDENT_STATUSES, incident_table
from airflow_errorguard.storage.tables.incident_task import incident_task_table
from airflow_errorguard.storage.tables.quarantine import QUARANTINE_STATUSES, quarantine_table

__all__ = [
    "CIRCUIT_STATES",
    "INCIDENT_STATUSES",
    "QUARANTINE_STATUSES",
    "audit_table",
    "checkpoint_table",
    "circuit_event_table",
    "circuit_table",
    "committed_file_table",
    "error_event_table",
    "error_signature_table",
    "errorguard_metadata",
    "hourly_count_table",
    "hourly_fingerprint_table",
    "incident_table",
    "incident_task_table",
    "quarantine_table",
    "rollup_state_table",
]
