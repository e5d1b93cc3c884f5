"""
Create ``errorguard_incident_task``: the tasks an incident was seen failing on (an incident
resolves when each of them has succeeded).

Open incidents are backfilled with the task they were last seen on.

Revision ID: abffe3b0ca91
Revises: b5f2da38c041
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import UtcDateTime, id_string

revision = "abffe3b0ca91"
down_revision = "b5f2da38c041"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    op.create_table(
        "errorguard_incident_task",
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("dag_id", id_string(), nullable=False),
        sa.Column("task_id", id_string(), nullable=False),
        sa.Column("failing", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("last_failed_at", UtcDateTime(), nullable=False),
        sa.Column("fixed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("incident_id", "dag_id", "task_id", name="pk_errorguard_incident_task"),
    )
    op.create_index(
        "ix_errorguard_incident_task_task_failing",
        "errorguard_incident_task",
        ["dag_id", "task_id", "failing"],
    )
    op.execute(
        "INSERT INTO errorguard_incident_task (incident_id, dag_id, task_id, failing, last_failed_at) "
        "SELECT id, dag_id, task_id, true, last_seen_at FROM errorguard_incident "
        "WHERE status = 'open' AND dag_id IS NOT NULL AND task_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("errorguard_incident_task")
