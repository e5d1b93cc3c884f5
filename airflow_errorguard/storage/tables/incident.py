"""``errorguard_incident``: one row per alert group (incident key), with its notification bookkeeping."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Integer, String, Table, Text

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import UtcDateTime, big_id, id_string, key_string

#: Every status an incident can have.
INCIDENT_STATUSES = ("open", "resolved")
_STATUSES_SQL = ", ".join(f"'{s}'" for s in INCIDENT_STATUSES)

incident_table = Table(
    "errorguard_incident",
    errorguard_metadata,
    Column("id", big_id(), primary_key=True, autoincrement=True),
    # The grouping key (``fingerprint=...|dag=...``, or ``circuit=<name>`` when folded into a circuit).
    Column("incident_key", key_string(), nullable=False, unique=True),
    Column("fingerprint", String(64), nullable=True),
    Column("dag_id", id_string(), nullable=True),
    Column("task_id", id_string(), nullable=True),
    Column("run_id", id_string(), nullable=True),
    Column("circuit_name", key_string(), nullable=True),
    Column("error_category", String(32), nullable=False),
    Column("reason", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("occurrences", BigInteger, nullable=False),
    # Occurrences counted when the last notification was claimed (the reminder says "N since").
    Column("notified_occurrences", BigInteger, nullable=False),
    Column("last_notified_at", UtcDateTime, nullable=True),
    Column("notify_count", Integer, nullable=False),
    Column("suppressed_count", BigInteger, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("version", BigInteger, nullable=False),
    CheckConstraint(f"status IN ({_STATUSES_SQL})", name="status"),
    Index("ix_errorguard_incident_status_last_seen", "status", "last_seen_at"),
    Index("ix_errorguard_incident_dag_status", "dag_id", "status"),
)
