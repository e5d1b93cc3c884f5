"""``errorguard_circuit`` (one row per named circuit) and ``errorguard_circuit_event`` (its transitions)."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Float, Index, Integer, String, Table, Text

from airflow_errorguard.breaker.state import CircuitState
from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import (
    UtcDateTime,
    big_id,
    id_string,
    key_string,
    long_text,
)

#: Every state a circuit can be in.
CIRCUIT_STATES = tuple(state.value for state in CircuitState)
_STATES_SQL = ", ".join(f"'{s}'" for s in CIRCUIT_STATES)

circuit_table = Table(
    "errorguard_circuit",
    errorguard_metadata,
    Column("id", big_id(), primary_key=True, autoincrement=True),
    Column("name", key_string(), nullable=False, unique=True),
    Column("state", String(16), nullable=False),
    # Sliding window (JSON: outcomes for a count window, per-second buckets for a time window).
    Column("window_state", long_text(), nullable=True),
    Column("consecutive_failures", Integer, nullable=False),
    Column("opened_at", UtcDateTime, nullable=True),
    Column("next_probe_at", UtcDateTime, nullable=True),
    # Trips since the circuit last closed: drives open-duration growth.
    Column("trip_count", Integer, nullable=False),
    Column("half_open_admitted", Integer, nullable=False),
    Column("half_open_successes", Integer, nullable=False),
    # Lifetime counters.
    Column("total_calls", BigInteger, nullable=False),
    Column("total_failures", BigInteger, nullable=False),
    Column("total_rejected", BigInteger, nullable=False),
    Column("last_error_category", String(32), nullable=True),
    Column("last_error_type", String(250), nullable=True),
    Column("last_error_message", Text, nullable=True),
    Column("last_fingerprint", String(64), nullable=True),
    # The effective configuration last used (JSON), for the UI and CLI.
    Column("config", long_text(), nullable=True),
    Column("version", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(f"state IN ({_STATES_SQL})", name="state"),
)

circuit_event_table = Table(
    "errorguard_circuit_event",
    errorguard_metadata,
    Column("id", big_id(), primary_key=True, autoincrement=True),
    Column("circuit_name", key_string(), nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("actor", String(250), nullable=False),
    Column("dag_id", id_string(), nullable=True),
    Column("task_id", id_string(), nullable=True),
    Column("run_id", id_string(), nullable=True),
    Column("map_index", Integer, nullable=True),
    Column("failure_rate", Float, nullable=True),
    Column("calls_in_window", Integer, nullable=True),
    Column("next_probe_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_errorguard_circuit_event_circuit_id", "circuit_name", "id"),
    Index("ix_errorguard_circuit_event_created_at", "created_at"),
)
