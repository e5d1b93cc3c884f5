"""
Quarantine rows remember the re-runs that met them again: ``seen_count``, ``last_seen_run_id``,
``last_seen_at``, and an index to find the open row of a task's record key.

Revision ID: 785c08ee1572
Revises: 3c9e7a41d2f6
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import UtcDateTime, id_string

revision = "785c08ee1572"
down_revision = "3c9e7a41d2f6"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    with op.batch_alter_table("errorguard_quarantine") as batch:
        batch.add_column(sa.Column("seen_count", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("last_seen_run_id", id_string(), nullable=True))
        batch.add_column(sa.Column("last_seen_at", UtcDateTime(), nullable=True))
    op.create_index(
        "ix_errorguard_quarantine_task_record",
        "errorguard_quarantine",
        ["dag_id", "task_id", "record_key"],
    )


def downgrade() -> None:
    op.drop_index("ix_errorguard_quarantine_task_record", table_name="errorguard_quarantine")
    with op.batch_alter_table("errorguard_quarantine") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("last_seen_run_id")
        batch.drop_column("seen_count")
