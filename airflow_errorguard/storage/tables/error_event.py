"""``errorguard_error_event``: one row per classified task failure and the decision taken on it."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import UtcDateTime, big_id, id_string

error_event_table = Table(
    "errorguard_error_event",
    errorguard_metadata,
    Column("id", big_id(), primary_key=True, autoincrement=True),
    Column("dag_id", id_string(), nullable=False),
    Column("task_id", id_string(), nullable=False),
    Column("run_id", id_string(), nullable=False),
    Column("map_index", Integer, nullable=False),
    Column("try_number", Integer, nullable=False),
    Column("max_tries", Integer, nullable=True),
    Column("error_category", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("decision", String(32), nullable=True),
    Column("delay_seconds", Float, nullable=True),
    Column("fingerprint", String(64), nullable=True),
    Column("exception_type", String(250), nullable=True),
    Column("exception_message", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("rule", String(250), nullable=True),
    Column("confidence", Float, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("outcome", String(32), nullable=True),
    Column("outcome_at", UtcDateTime, nullable=True),
    Index("ix_errorguard_error_event_fingerprint_created", "fingerprint", "created_at"),
    Index("ix_errorguard_error_event_dag_task_created", "dag_id", "task_id", "created_at"),
    Index("ix_errorguard_error_event_created_at", "created_at"),
)
