"""
Integer quarantine timestamps on SQLite: microseconds since 1970-01-01 UTC (were ISO text).

``errorguard_quarantine``'s timestamps (``created_at``, ``updated_at``, ``resolved_at``,
``claimed_at``, ``last_seen_at``) become ``BIGINT`` on SQLite: 8 bytes where the text took 26, in
the row and again in ``ix_errorguard_quarantine_created_at``. Integers order as the times do: the
index keeps serving the time filters. Values read back as aware UTC ``datetime`` as before
(:class:`~airflow_errorguard.storage.tables.column_types.UtcMicros`). PostgreSQL and MySQL already
store 8-byte timestamps: nothing changes there.

The stored values are converted in place (one ``UPDATE``), then the table is rebuilt with the new
column types (SQLite batch mode); the downgrade converts them back to the text SQLAlchemy writes
(``YYYY-MM-DD HH:MM:SS.ffffff``).

Revision ID: b81c4e6f2d95
Revises: d0029be7fa60
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b81c4e6f2d95"
down_revision = "d0029be7fa60"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"

_TABLE = "errorguard_quarantine"
#: The timestamp columns and whether they may be NULL.
_COLUMNS = {
    "created_at": False,
    "updated_at": True,
    "resolved_at": True,
    "claimed_at": True,
    "last_seen_at": True,
}
#: ISO text (SQLAlchemy's, or SQLite's CURRENT_TIMESTAMP without a fraction) -> microseconds. The
#: seconds are read without the fraction: strftime rounds to milliseconds (.999999 -> next second).
_TO_MICROS = (
    "CAST(strftime('%s', substr({c}, 1, 19)) AS INTEGER) * 1000000 "
    "+ CAST(substr(substr({c}, 21) || '000000', 1, 6) AS INTEGER)"
)
_TO_TEXT = "strftime('%Y-%m-%d %H:%M:%S', {c} / 1000000, 'unixepoch') || '.' || printf('%06d', {c} % 1000000)"


def _convert(expression: str, stored_as: str) -> None:
    sets = ", ".join(
        f"{c} = CASE WHEN typeof({c}) = '{stored_as}' THEN {expression.format(c=c)} ELSE {c} END"
        for c in _COLUMNS
    )
    op.execute(f"UPDATE {_TABLE} SET {sets}")


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    with op.batch_alter_table(_TABLE) as batch:
        for column, nullable in _COLUMNS.items():
            batch.alter_column(column, existing_type=old, type_=new, existing_nullable=nullable)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Values first: the rebuild copies them with CAST(... AS BIGINT), which would keep a text
    # timestamp's year only.
    _convert(_TO_MICROS, "text")
    _retype(sa.DateTime(), sa.BigInteger())


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _retype(sa.BigInteger(), sa.DateTime())  # integers survive CAST(... AS DATETIME) unchanged
    _convert(_TO_TEXT, "integer")
