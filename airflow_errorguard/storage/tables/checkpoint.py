"""``errorguard_checkpoint``: how far a task (or any named process) has got, with optimistic locking."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, UniqueConstraint

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import (
    UtcDateTime,
    big_id,
    id_string,
    key_string,
    long_text,
)

checkpoint_table = Table(
    "errorguard_checkpoint",
    errorguard_metadata,
    Column("id", big_id(), primary_key=True, autoincrement=True),
    # Scope: empty strings (and map_index -1) widen it; all empty is a free, global key.
    Column("dag_id", id_string(), nullable=False),
    Column("task_id", id_string(), nullable=False),
    Column("run_id", id_string(), nullable=False),
    Column("map_index", Integer, nullable=False),
    Column("name", key_string(), nullable=False),
    Column("state", long_text(), nullable=True),
    Column("position", String(1024), nullable=True),
    Column("version", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(250), nullable=True),
    UniqueConstraint(
        "dag_id", "task_id", "run_id", "map_index", "name", name="uq_errorguard_checkpoint_scope"
    ),
)
