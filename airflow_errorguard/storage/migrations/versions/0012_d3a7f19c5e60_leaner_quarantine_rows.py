"""
Leaner quarantine rows and a purge that cannot strip a new row of its error signature.

- ``uq_errorguard_quarantine_record`` orders its columns ``dag_id, task_id, map_index,
  record_key, run_id``: it now also finds the open rows of a task's record key that a re-run meets
  again, so ``ix_errorguard_quarantine_task_record`` (the same lookup) is dropped: one index less
  to store and to update per row.
- ``errorguard_quarantine.updated_at`` may be ``NULL``: a row stays so until it first changes
  (readers take ``created_at``), which saves a timestamp per stored row.
- ``errorguard_error_signature.last_used_at``: set by every write that references the signature;
  a purge keeps signatures used within its grace period (filled with ``created_at`` here).

Rows written from now on store ``payload_sha256`` only for a truncated payload (a whole payload's
digest is computed from it on read); stored digests stay as they are (no rewrite of the table).

Revision ID: d3a7f19c5e60
Revises: 9a6c2e4f7b18
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.tables.column_types import UtcDateTime

revision = "d3a7f19c5e60"
down_revision = "9a6c2e4f7b18"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"

_UNIQUE = "uq_errorguard_quarantine_record"
_TASK_RECORD = "ix_errorguard_quarantine_task_record"
_OLD_ORDER = ["dag_id", "task_id", "run_id", "map_index", "record_key"]
_NEW_ORDER = ["dag_id", "task_id", "map_index", "record_key", "run_id"]


def _unique(order: list[str], *, updated_at_nullable: bool) -> None:
    with op.batch_alter_table("errorguard_quarantine") as batch:
        batch.drop_constraint(_UNIQUE, type_="unique")
        batch.create_unique_constraint(_UNIQUE, order)
        batch.alter_column("updated_at", existing_type=UtcDateTime(), nullable=updated_at_nullable)


def upgrade() -> None:
    op.drop_index(_TASK_RECORD, table_name="errorguard_quarantine")
    _unique(_NEW_ORDER, updated_at_nullable=True)
    with op.batch_alter_table("errorguard_error_signature") as batch:
        batch.add_column(sa.Column("last_used_at", UtcDateTime(), nullable=True))
    signature = sa.table(
        "errorguard_error_signature",
        sa.column("created_at", UtcDateTime()),
        sa.column("last_used_at", UtcDateTime()),
    )
    op.execute(signature.update().values(last_used_at=signature.c.created_at))
    with op.batch_alter_table("errorguard_error_signature") as batch:
        batch.alter_column("last_used_at", existing_type=UtcDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("errorguard_error_signature") as batch:
        batch.drop_column("last_used_at")
    quarantine = sa.table(
        "errorguard_quarantine",
        sa.column("created_at", UtcDateTime()),
        sa.column("updated_at", UtcDateTime()),
    )
    op.execute(
        quarantine.update()
        .where(quarantine.c.updated_at.is_(None))
        .values(updated_at=quarantine.c.created_at)
    )
    _unique(_OLD_ORDER, updated_at_nullable=False)
    op.create_index(_TASK_RECORD, "errorguard_quarantine", ["dag_id", "task_id", "record_key"])
