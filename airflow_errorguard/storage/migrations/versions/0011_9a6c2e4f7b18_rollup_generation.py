"""
``errorguard_rollup_state.generation``: bumped by every recount of the hourly rollups (fills,
purges, orphan removal lock the state row first, :func:`airflow_errorguard.storage.rollup.lock`),
so readers may keep exact in-process sums of finished hours while it stays the same
(:mod:`airflow_errorguard.storage.rollup_memo`).

Revision ID: 9a6c2e4f7b18
Revises: 5b8d3f0e2a17
Create Date: 2026-11-30
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "9a6c2e4f7b18"
down_revision = "5b8d3f0e2a17"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    with op.batch_alter_table("errorguard_rollup_state") as batch:
        batch.add_column(sa.Column("generation", sa.BigInteger(), nullable=False, server_default="0"))
    # Rows the backfills of c41d7e5a9f12 / e52b8c7d1a34 made: a first generation (never 0, which
    # readers do not remember sums under; see rollup.next_generation).
    state = sa.table("errorguard_rollup_state", sa.column("generation", sa.BigInteger()))
    op.execute(state.update().values(generation=time.time_ns() // 1000))


def downgrade() -> None:
    with op.batch_alter_table("errorguard_rollup_state") as batch:
        batch.drop_column("generation")
