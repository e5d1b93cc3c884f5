"""
Create ``errorguard_hourly_fingerprint`` (the hourly rollup per fingerprint, for the top patterns
and the per-fingerprint counts) and fill it over the hours the hourly rollup already holds.

Self-contained: it only adds its table and fills it under each source's ``errorguard_rollup_state``
lock, so it may follow any revision that has the hourly rollup (``c41d7e5a9f12``).

Revision ID: e52b8c7d1a34
Revises: c41d7e5a9f12
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import UtcDateTime, id_string, legacy_text_timestamps

revision = "e52b8c7d1a34"
down_revision = "c41d7e5a9f12"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"


def upgrade() -> None:
    op.create_table(
        "errorguard_hourly_fingerprint",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("dag_id", id_string(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_at", UtcDateTime(), nullable=False),
        sa.Column("last_at", UtcDateTime(), nullable=False),
        sa.Column("error_type", sa.String(250), nullable=True),
        sa.PrimaryKeyConstraint(
            "source", "hour", "dag_id", "fingerprint", "category", name="pk_errorguard_hourly_fingerprint"
        ),
    )
    op.create_index(
        "ix_errorguard_hourly_fingerprint_fp_hour",
        "errorguard_hourly_fingerprint",
        ["source", "fingerprint", "hour"],
    )
    # The quarantine's timestamps are still text on SQLite here (b81c4e6f2d95 comes after).
    with legacy_text_timestamps():
        _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Count the hours the hourly rollup holds, so both rollups hold the same hours."""
    from airflow_errorguard.storage import rollup

    for source in rollup.SOURCES:
        held_from, held_until = rollup.lock(conn, source, generation=False)
        if held_from is not None and held_until is not None:
            # The quarantine's type is still on its rows here (5b8d3f0e2a17 comes after).
            rollup.fill_fingerprints(conn, source, held_from, held_until, legacy=True)


def downgrade() -> None:
    op.drop_index("ix_errorguard_hourly_fingerprint_fp_hour", table_name="errorguard_hourly_fingerprint")
    op.drop_table("errorguard_hourly_fingerprint")
