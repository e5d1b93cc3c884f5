"""
Create ``errorguard_committed_file``: input files a task committed, by checksum, so later runs skip them.

Revision ID: 8ea01854ad48
Revises: 785c08ee1572
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import UtcDateTime, big_id, id_string, key_string

revision = "8ea01854ad48"
down_revision = "785c08ee1572"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    op.create_table(
        "errorguard_committed_file",
        sa.Column("id", big_id(), primary_key=True, autoincrement=True),
        sa.Column("dag_id", id_string(), nullable=False),
        sa.Column("task_id", id_string(), nullable=False),
        sa.Column("source", key_string(), nullable=False),
        sa.Column("checksum", sa.String(80), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("run_id", id_string(), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("committed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_errorguard_committed_file"),
        sa.UniqueConstraint(
            "dag_id",
            "task_id",
            "source",
            "checksum",
            name="uq_errorguard_committed_file_dag_id_task_id_source_checksum",
        ),
    )


def downgrade() -> None:
    op.drop_table("errorguard_committed_file")
