"""
Shorter error-signature keys: the first 16 hex digits of the content's SHA-256 (were 32).

``errorguard_quarantine.signature_key`` is stored on every quarantine row: 16 bytes less per row
(and ``VARCHAR(16)``). A key is content-addressed; 64 bits keep a collision between two distinct
signatures out of reach (about 10^-9 with 200,000 distinct errors). The upgrade cuts the stored
keys to their first 16 digits, which is what a writer computes now; it stops, changing nothing, if
two stored signatures share them. The downgrade computes the 32-digit keys again from each
signature's content and puts them back on the signatures and their rows.

Revision ID: d0029be7fa60
Revises: d3a7f19c5e60
Create Date: 2026-11-30
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "d0029be7fa60"
down_revision = "d3a7f19c5e60"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"

_SHORT, _LONG = 16, 32
_SIGNATURE = sa.table(
    "errorguard_error_signature",
    sa.column("signature_key", sa.String()),
    sa.column("error_category", sa.String()),
    sa.column("error_type", sa.String()),
    sa.column("fingerprint", sa.String()),
    sa.column("reason", sa.Text()),
    sa.column("traceback", sa.Text()),
    sa.column("message_at_end", sa.Boolean()),
)
_QUARANTINE = sa.table("errorguard_quarantine", sa.column("signature_key", sa.String()))
_MAP = "errorguard_signature_key_map"


def _long_key(row: sa.Row) -> str:
    """The 32-digit key revision ``5b8d3f0e2a17`` gave this content (frozen here)."""
    fields = (
        row.error_category,
        row.error_type or "",
        row.fingerprint or "",
        row.reason or "",
        row.traceback or "",
        "1" if row.message_at_end else "0",
    )
    return hashlib.sha256("\x1f".join(fields).encode("utf-8", "surrogatepass")).hexdigest()[:_LONG]


def _resize(length: int, old: int) -> None:
    for table, nullable in (("errorguard_quarantine", True), ("errorguard_error_signature", False)):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "signature_key",
                existing_type=sa.String(old),
                type_=sa.String(length),
                existing_nullable=nullable,
            )


def _rekey(conn: sa.Connection, pairs: list[tuple[str, str]]) -> None:
    """Move signatures and the rows referencing them from the first key of each pair to the second
    (the downgrade: a long key is computed from the content, a row finds it through a map table)."""
    if not pairs:
        return
    s, q = _SIGNATURE, _QUARANTINE
    key_map = op.create_table(
        _MAP,
        sa.Column("old_key", sa.String(_LONG), primary_key=True),
        sa.Column("new_key", sa.String(_LONG), nullable=False),
    )
    try:
        op.bulk_insert(key_map, [{"old_key": old, "new_key": new} for old, new in pairs])
        new_key = sa.select(key_map.c.new_key).where(key_map.c.old_key == q.c.signature_key).scalar_subquery()
        mapped = q.c.signature_key.in_(sa.select(key_map.c.old_key))
        conn.execute(q.update().where(mapped).values(signature_key=new_key))
        for old, new in pairs:  # one primary-key lookup each: signatures are few
            conn.execute(s.update().where(s.c.signature_key == old).values(signature_key=new))
    finally:
        op.drop_table(_MAP)


def upgrade() -> None:
    conn = op.get_bind()
    keys = [k for (k,) in conn.execute(sa.select(_SIGNATURE.c.signature_key))]
    short = {k[:_SHORT] for k in keys}
    if len(short) != len(keys):  # pragma: no cover - two distinct errors sharing 64 bits of SHA-256
        raise RuntimeError(
            "errorguard: two stored error signatures share their first 16 hex digits; "
            "this migration cannot shorten their keys (nothing was changed)"
        )
    # A short key is its long key's prefix: one pass per table, no lookup (rows whose signature
    # was purged are cut the same way). The cut keys differ from each other and from every
    # 32-digit key, so no unique check meets a duplicate midway.
    for table in (_SIGNATURE, _QUARANTINE):
        conn.execute(
            table.update()
            .where(sa.func.length(table.c.signature_key) > _SHORT)
            .values(signature_key=sa.func.substr(table.c.signature_key, 1, _SHORT))
        )
    _resize(_SHORT, _LONG)


def downgrade() -> None:
    conn = op.get_bind()
    _resize(_LONG, _SHORT)
    rows = conn.execute(sa.select(_SIGNATURE)).all()
    _rekey(conn, [(row.signature_key, _long_key(row)) for row in rows if len(row.signature_key) < _LONG])
