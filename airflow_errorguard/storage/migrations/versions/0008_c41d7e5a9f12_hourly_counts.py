"""
Create ``errorguard_hourly_count`` and ``errorguard_rollup_state`` (the hourly rollup of error
events and quarantine rows) and backfill it from the rows already there.

Revision ID: c41d7e5a9f12
Revises: 8ea01854ad48
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import UtcDateTime, id_string, legacy_text_timestamps

revision = "c41d7e5a9f12"
down_revision = "8ea01854ad48"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    op.create_table(
        "errorguard_hourly_count",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("dag_id", id_string(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", "hour", "dag_id", "category", name="pk_errorguard_hourly_count"),
    )
    op.create_table(
        "errorguard_rollup_state",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("filled_from", UtcDateTime(), nullable=True),
        sa.Column("filled_until", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("source", name="pk_errorguard_rollup_state"),
    )
    # The quarantine's timestamps are still text on SQLite here (b81c4e6f2d95 comes after).
    with legacy_text_timestamps():
        _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Count every finished hour of the rows already stored (the current one stays live)."""
    from airflow_errorguard.storage import rollup

    now = datetime.now(timezone.utc)
    for source, table in rollup.SOURCES.items():
        oldest = conn.execute(sa.select(sa.func.min(table.c.created_at))).scalar()
        if oldest is not None and not isinstance(oldest, datetime):  # SQLite aggregates: a string
            oldest = datetime.fromisoformat(str(oldest))
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=timezone.utc)
        rollup.lock(conn, source, generation=False)
        if oldest is not None:
            rollup.ensure_filled(
                conn, source, oldest, rollup.horizon(now), fingerprints=False, generation=False
            )


def downgrade() -> None:
    op.drop_table("errorguard_rollup_state")
    op.drop_table("errorguard_hourly_count")
