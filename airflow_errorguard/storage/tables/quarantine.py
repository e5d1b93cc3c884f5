"""``errorguard_quarantine``: records a task could not process, with the error that stopped them."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Index, Integer, String, Table, Text, UniqueConstraint

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import (
    UtcMicros,
    big_id,
    id_string,
    key_string,
    long_text,
)
from airflow_errorguard.storage.tables.error_signature import SIGNATURE_KEY_LEN

#: Quarantine statuses, in the order a record usually moves through them.
QUARANTINE_STATUSES = ("quarantined", "released", "replayed", "discarded")

quarantine_table = Table(
    "errorguard_quarantine",
    errorguard_metadata,
    Column("id", big_id(), primary_key=True, autoincrement=True),
    Column("dag_id", id_string(), nullable=False),
    Column("task_id", id_string(), nullable=False),
    Column("run_id", id_string(), nullable=False),
    Column("map_index", Integer, nullable=False),
    Column("try_number", Integer, nullable=False),
    Column("record_key", key_string(), nullable=False),
    Column("payload", long_text(), nullable=True),
    Column("payload_bytes", Integer, nullable=False),
    Column("payload_truncated", Boolean, nullable=False),
    # Stored for a truncated payload only: a whole payload's digest is computed from it on read.
    Column("payload_sha256", String(64), nullable=True),
    Column("error_category", String(32), nullable=False),
    Column("error_message", Text, nullable=True),
    Column("fingerprint", String(64), nullable=True),
    # The error's type, reason and traceback, stored once per distinct error
    # (``errorguard_error_signature``); category and fingerprint stay here for the filters.
    Column("signature_key", String(SIGNATURE_KEY_LEN), nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcMicros, nullable=False),
    # Timestamps: integers of microseconds on SQLite (migration ``b81c4e6f2d95``), see UtcMicros.
    # ``NULL`` until the row first changes (then it is ``created_at``; QuarantineRow reads it so).
    Column("updated_at", UtcMicros, nullable=True),
    Column("resolved_at", UtcMicros, nullable=True),
    Column("resolved_by", String(250), nullable=True),
    Column("note", Text, nullable=True),
    # A replay run's claim on a released row (``claimed_by``: the task instance, ``claim_try``:
    # its try): set atomically before the row is processed, cleared when its status moves.
    Column("claimed_by", Text, nullable=True),
    Column("claim_try", Integer, nullable=True),
    Column("claimed_at", UtcMicros, nullable=True),
    # A later run that met the same open record again (same task, key, fingerprint) counts it
    # here instead of storing it again.
    Column("seen_count", Integer, nullable=False, server_default="1"),
    Column("last_seen_run_id", id_string(), nullable=True),
    Column("last_seen_at", UtcMicros, nullable=True),
    # A retried (or re-run) task can never quarantine the same record twice. Its column order
    # also finds the open rows of a task's record key met again by a re-run (see repeats.py).
    UniqueConstraint(
        "dag_id", "task_id", "map_index", "record_key", "run_id", name="uq_errorguard_quarantine_record"
    ),
    CheckConstraint("status IN ('quarantined', 'released', 'replayed', 'discarded')", name="status"),
    # Keyset pagination orders by id; each index ends with id so a filtered page is an index range
    # (task, run and category filters ride on the DAG/status indexes). Every index costs insert
    # speed: add one only for a filter the UI cannot serve otherwise.
    Index("ix_errorguard_quarantine_status_id", "status", "id"),
    Index("ix_errorguard_quarantine_dag_status_id", "dag_id", "status", "id"),
    Index("ix_errorguard_quarantine_fingerprint_id", "fingerprint", "id"),
    Index("ix_errorguard_quarantine_created_at", "created_at"),
)
