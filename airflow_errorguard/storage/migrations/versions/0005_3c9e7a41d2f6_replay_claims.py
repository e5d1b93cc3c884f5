"""
Replay claims on quarantine rows: who is replaying a released row, from which try, since when.

Revision ID: 3c9e7a41d2f6
Revises: abffe3b0ca91
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import UtcDateTime

revision = "3c9e7a41d2f6"
down_revision = "abffe3b0ca91"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    with op.batch_alter_table("errorguard_quarantine") as batch:
        batch.add_column(sa.Column("claimed_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("claim_try", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("claimed_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("errorguard_quarantine") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claim_try")
        batch.drop_column("claimed_by")
