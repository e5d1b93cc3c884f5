"""``errorguard_incident_task``: every task an incident was seen failing on, and whether it is fixed."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, PrimaryKeyConstraint, Table

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import UtcDateTime, id_string

incident_task_table = Table(
    "errorguard_incident_task",
    errorguard_metadata,
    Column("incident_id", BigInteger, nullable=False),
    Column("dag_id", id_string(), nullable=False),
    Column("task_id", id_string(), nullable=False),
    # True from a failure of the task until its next success; the incident resolves when none is.
    Column("failing", Boolean(create_constraint=False), nullable=False),
    Column("last_failed_at", UtcDateTime, nullable=False),
    Column("fixed_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("incident_id", "dag_id", "task_id", name="pk_errorguard_incident_task"),
    Index("ix_errorguard_incident_task_task_failing", "dag_id", "task_id", "failing"),
)
