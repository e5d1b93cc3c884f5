"""
Create errorguard's incident table (deduplicated alerts).

Revision ID: b5f2da38c041
Revises: a4e1c9d27b30
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import UtcDateTime, big_id, id_string, key_string

revision = "b5f2da38c041"
down_revision = "a4e1c9d27b30"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    op.create_table(
        "errorguard_incident",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        sa.Column("incident_key", key_string(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("dag_id", id_string(), nullable=True),
        sa.Column("task_id", id_string(), nullable=True),
        sa.Column("run_id", id_string(), nullable=True),
        sa.Column("circuit_name", key_string(), nullable=True),
        sa.Column("error_category", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("occurrences", sa.BigInteger(), nullable=False),
        sa.Column("notified_occurrences", sa.BigInteger(), nullable=False),
        sa.Column("last_notified_at", UtcDateTime(), nullable=True),
        sa.Column("notify_count", sa.Integer(), nullable=False),
        sa.Column("suppressed_count", sa.BigInteger(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_errorguard_incident"),
        sa.UniqueConstraint("incident_key", name="uq_errorguard_incident_incident_key"),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="ck_errorguard_incident_status"),
    )
    op.create_index(
        "ix_errorguard_incident_status_last_seen", "errorguard_incident", ["status", "last_seen_at"]
    )
    op.create_index("ix_errorguard_incident_dag_status", "errorguard_incident", ["dag_id", "status"])


def downgrade() -> None:
    op.drop_table("errorguard_incident")
