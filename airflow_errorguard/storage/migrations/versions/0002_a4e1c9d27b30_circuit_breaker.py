"""
Create errorguard's circuit breaker tables.

Revision ID: a4e1c9d27b30
Revises: 7d2f4c1a9b01
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import (
    UtcDateTime,
    big_id,
    id_string,
    key_string,
    long_text,
)

revision = "a4e1c9d27b30"
down_revision = "7d2f4c1a9b01"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    op.create_table(
        "errorguard_circuit",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        sa.Column("name", key_string(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("window_state", long_text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=True),
        sa.Column("next_probe_at", UtcDateTime(), nullable=True),
        sa.Column("trip_count", sa.Integer(), nullable=False),
        sa.Column("half_open_admitted", sa.Integer(), nullable=False),
        sa.Column("half_open_successes", sa.Integer(), nullable=False),
        sa.Column("total_calls", sa.BigInteger(), nullable=False),
        sa.Column("total_failures", sa.BigInteger(), nullable=False),
        sa.Column("total_rejected", sa.BigInteger(), nullable=False),
        sa.Column("last_error_category", sa.String(32), nullable=True),
        sa.Column("last_error_type", sa.String(250), nullable=True),
        sa.Column("last_error_message", sa.Text(), nullable=True),
        sa.Column("last_fingerprint", sa.String(64), nullable=True),
        sa.Column("config", long_text(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_errorguard_circuit"),
        sa.UniqueConstraint("name", name="uq_errorguard_circuit_name"),
        sa.CheckConstraint(
            "state IN ('closed', 'open', 'half_open', 'forced_open', 'disabled', 'metrics_only')",
            name="ck_errorguard_circuit_state",
        ),
    )

    op.create_table(
        "errorguard_circuit_event",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        sa.Column("circuit_name", key_string(), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(250), nullable=False),
        sa.Column("dag_id", id_string(), nullable=True),
        sa.Column("task_id", id_string(), nullable=True),
        sa.Column("run_id", id_string(), nullable=True),
        sa.Column("map_index", sa.Integer(), nullable=True),
        sa.Column("failure_rate", sa.Float(), nullable=True),
        sa.Column("calls_in_window", sa.Integer(), nullable=True),
        sa.Column("next_probe_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_errorguard_circuit_event"),
    )
    op.create_index(
        "ix_errorguard_circuit_event_circuit_id", "errorguard_circuit_event", ["circuit_name", "id"]
    )
    op.create_index("ix_errorguard_circuit_event_created_at", "errorguard_circuit_event", ["created_at"])


def downgrade() -> None:
    op.drop_table("errorguard_circuit_event")
    op.drop_table("errorguard_circuit")
