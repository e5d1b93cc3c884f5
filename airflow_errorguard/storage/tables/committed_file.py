"""``errorguard_committed_file``: the input files a task committed, by checksum (file idempotency)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, UniqueConstraint

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import UtcDateTime, big_id, id_string, key_string

#: ``sha256:`` and 64 hex digits, with room for another algorithm's name.
CHECKSUM_LEN = 80
PATH_LEN = 1024

committed_file_table = Table(
    "errorguard_committed_file",
    errorguard_metadata,
    Column("id", big_id(), primary_key=True, autoincrement=True),
    # Scope: the task (all its runs and map indexes) and the source's name.
    Column("dag_id", id_string(), nullable=False),
    Column("task_id", id_string(), nullable=False),
    Column("source", key_string(), nullable=False),
    Column("checksum", String(CHECKSUM_LEN), nullable=False),
    # Which file, run and try committed it (shown as "skipped" to later runs).
    Column("path", String(PATH_LEN), nullable=False),
    Column("size", BigInteger, nullable=True),
    Column("run_id", id_string(), nullable=False),
    Column("map_index", Integer, nullable=False),
    Column("try_number", Integer, nullable=False),
    Column("committed_at", UtcDateTime, nullable=False),
    UniqueConstraint("dag_id", "task_id", "source", "checksum"),
)
