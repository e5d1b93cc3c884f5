"""
Create errorguard's quarantine, checkpoint, error event and audit tables.

Revision ID: 7d2f4c1a9b01
Revises:
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

revision = "7d2f4c1a9b01"
down_revision = None
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    op.create_table(
        "errorguard_quarantine",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        sa.Column("dag_id", id_string(), nullable=False),
        sa.Column("task_id", id_string(), nullable=False),
        sa.Column("run_id", id_string(), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("record_key", key_string(), nullable=False),
        sa.Column("payload", long_text(), nullable=True),
        sa.Column("payload_bytes", sa.Integer(), nullable=False),
        sa.Column("payload_truncated", sa.Boolean(), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=True),
        sa.Column("error_category", sa.String(32), nullable=False),
        sa.Column("error_type", sa.String(250), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("traceback", long_text(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(250), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_errorguard_quarantine"),
        sa.UniqueConstraint(
            "dag_id", "task_id", "run_id", "map_index", "record_key", name="uq_errorguard_quarantine_record"
        ),
        sa.CheckConstraint(
            "status IN ('quarantined', 'released', 'replayed', 'discarded')",
            name="ck_errorguard_quarantine_status",
        ),
    )
    op.create_index("ix_errorguard_quarantine_status_id", "errorguard_quarantine", ["status", "id"])
    op.create_index(
        "ix_errorguard_quarantine_dag_status_id", "errorguard_quarantine", ["dag_id", "status", "id"]
    )
    op.create_index("ix_errorguard_quarantine_fingerprint_id", "errorguard_quarantine", ["fingerprint", "id"])
    op.create_index("ix_errorguard_quarantine_created_at", "errorguard_quarantine", ["created_at"])

    op.create_table(
        "errorguard_checkpoint",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        sa.Column("dag_id", id_string(), nullable=False),
        sa.Column("task_id", id_string(), nullable=False),
        sa.Column("run_id", id_string(), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("name", key_string(), nullable=False),
        sa.Column("state", long_text(), nullable=True),
        sa.Column("position", sa.String(1024), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(250), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_errorguard_checkpoint"),
        sa.UniqueConstraint(
            "dag_id", "task_id", "run_id", "map_index", "name", name="uq_errorguard_checkpoint_scope"
        ),
    )

    op.create_table(
        "errorguard_error_event",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        sa.Column("dag_id", id_string(), nullable=False),
        sa.Column("task_id", id_string(), nullable=False),
        sa.Column("run_id", id_string(), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("max_tries", sa.Integer(), nullable=True),
        sa.Column("error_category", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("decision", sa.String(32), nullable=True),
        sa.Column("delay_seconds", sa.Float(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("exception_type", sa.String(250), nullable=True),
        sa.Column("exception_message", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rule", sa.String(250), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("outcome_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_errorguard_error_event"),
    )
    op.create_index(
        "ix_errorguard_error_event_fingerprint_created",
        "errorguard_error_event",
        ["fingerprint", "created_at"],
    )
    op.create_index(
        "ix_errorguard_error_event_dag_task_created",
        "errorguard_error_event",
        ["dag_id", "task_id", "created_at"],
    )
    op.create_index("ix_errorguard_error_event_created_at", "errorguard_error_event", ["created_at"])

    op.create_table(
        "errorguard_audit",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(250), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(250), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("state_before", long_text(), nullable=True),
        sa.Column("state_after", long_text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_errorguard_audit"),
    )
    op.create_index("ix_errorguard_audit_entity", "errorguard_audit", ["entity", "entity_id", "id"])
    op.create_index("ix_errorguard_audit_created_at", "errorguard_audit", ["created_at"])


def downgrade() -> None:
    op.drop_table("errorguard_audit")
    op.drop_table("errorguard_error_event")
    op.drop_table("errorguard_checkpoint")
    op.drop_table("errorguard_quarantine")
