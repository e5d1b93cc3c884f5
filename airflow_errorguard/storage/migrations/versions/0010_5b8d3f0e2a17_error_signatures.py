"""
Store each distinct error of the quarantine once: ``errorguard_error_signature`` (category, type,
fingerprint, reason, traceback template) referenced by ``errorguard_quarantine.signature_key``;
the rows' ``error_type``, ``reason`` and ``traceback`` columns move there and are dropped.

Existing rows are moved in id order, 20,000 at a time: their signatures are computed in Python
(the same key a writer computes, :func:`airflow_errorguard.storage.signatures.signature_key`),
inserted once, and each row's key is written through a mapping table with one ``UPDATE``.
Measured on 1,000,000 rows (``benchmarks/bench_migration.py``): 17 s on SQLite, 38 s on
PostgreSQL (figures in docs/storage.md).

Revision ID: 5b8d3f0e2a17
Revises: e52b8c7d1a34
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

from airflow_errorguard.storage.signatures import full_traceback, signature_key, split_traceback
from airflow_errorguard.storage.tables.column_types import UtcDateTime, long_text
from airflow_errorguard.storage.upsert import insert_ignoring_duplicates

revision = "5b8d3f0e2a17"
down_revision = "e52b8c7d1a34"
branch_labels = None
depends_on = None
errorguard_version = "0.1.0"

CHUNK = 20_000
_MAP = "errorguard_signature_map"


def _old_quarantine() -> sa.Table:
    meta = sa.MetaData()
    return sa.Table(
        "errorguard_quarantine",
        meta,
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("error_category", sa.String(32)),
        sa.Column("error_type", sa.String(250)),
        sa.Column("error_message", sa.Text),
        sa.Column("traceback", long_text()),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("reason", sa.Text),
        sa.Column("signature_key", sa.String(32)),
    )


def _signature_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("signature_key", sa.String(32), primary_key=True),
        sa.Column("error_category", sa.String(32), nullable=False),
        sa.Column("error_type", sa.String(250), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("traceback", long_text(), nullable=True),
        sa.Column("message_at_end", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    ]


def _signature_table() -> sa.Table:
    return sa.Table("errorguard_error_signature", sa.MetaData(), *_signature_columns())


def upgrade() -> None:
    op.create_table("errorguard_error_signature", *_signature_columns())
    op.add_column("errorguard_quarantine", sa.Column("signature_key", sa.String(32), nullable=True))
    _move_rows(op.get_bind())
    with op.batch_alter_table("errorguard_quarantine") as batch:
        batch.drop_column("traceback")
        batch.drop_column("reason")
        batch.drop_column("error_type")


def _move_rows(conn: sa.Connection) -> None:
    q, sig = _old_quarantine(), _signature_table()
    mapping = sa.Table(
        _MAP,
        sa.MetaData(),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("signature_key", sa.String(32), nullable=False),
    )
    mapping.create(conn)
    now = datetime.now(timezone.utc)
    stored: set[str] = set()
    columns = [
        q.c.id,
        q.c.error_category,
        q.c.error_type,
        q.c.fingerprint,
        q.c.reason,
        q.c.traceback,
        q.c.error_message,
    ]
    last = None
    moved = 0
    while True:
        stmt = sa.select(*columns).order_by(q.c.id).limit(CHUNK)
        if last is not None:
            stmt = stmt.where(q.c.id > last)
        rows = conn.execute(stmt).all()
        if not rows:
            break
        last = rows[-1][0]
        keys: list[dict[str, Any]] = []
        new: dict[str, dict[str, Any]] = {}
        for row_id, category, error_type, fingerprint, reason, traceback, message in rows:
            template, at_end = split_traceback(traceback, message)
            signature = (category or "unknown", error_type, fingerprint, reason, template, at_end)
            key = signature_key(signature)
            keys.append({"id": row_id, "signature_key": key})
            if key not in stored and key not in new:
                new[key] = dict(
                    signature_key=key,
                    error_category=signature[0],
                    error_type=error_type,
                    fingerprint=fingerprint,
                    reason=reason,
                    traceback=template,
                    message_at_end=at_end,
                    created_at=now,
                )
        if new:
            conn.execute(insert_ignoring_duplicates(sig, conn.dialect.name), [new[k] for k in sorted(new)])
            stored.update(new)
        conn.execute(mapping.insert(), keys)
        moved += len(keys)
    if moved:
        conn.execute(
            sa.update(q).values(
                signature_key=sa.select(mapping.c.signature_key)
                .where(mapping.c.id == q.c.id)
                .scalar_subquery()
            )
        )
    mapping.drop(conn)


def downgrade() -> None:
    with op.batch_alter_table("errorguard_quarantine") as batch:
        batch.add_column(sa.Column("error_type", sa.String(250), nullable=True))
        batch.add_column(sa.Column("traceback", long_text(), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
    conn = op.get_bind()
    q, sig = _old_quarantine(), _signature_table()
    for name in ("error_type", "reason"):
        value = sa.select(sig.c[name]).where(sig.c.signature_key == q.c.signature_key).scalar_subquery()
        conn.execute(sa.update(q).values({name: value}))
    # Tracebacks are rebuilt in Python: the template plus the row's own message.
    templates = {
        k: (t, bool(a))
        for k, t, a in conn.execute(sa.select(sig.c.signature_key, sig.c.traceback, sig.c.message_at_end))
    }
    last = None
    while True:
        stmt = sa.select(q.c.id, q.c.signature_key, q.c.error_message).order_by(q.c.id).limit(CHUNK)
        if last is not None:
            stmt = stmt.where(q.c.id > last)
        rows = conn.execute(stmt).all()
        if not rows:
            break
        last = rows[-1][0]
        params = [
            {"row_id": row_id, "tb": full_traceback(*templates.get(key, (None, False)), message)}
            for row_id, key, message in rows
            if key is not None
        ]
        if params:
            conn.execute(
                sa.update(q).where(q.c.id == sa.bindparam("row_id")).values(traceback=sa.bindparam("tb")),
                params,
            )
    with op.batch_alter_table("errorguard_quarantine") as batch:
        batch.drop_column("signature_key")
    op.drop_table("errorguard_error_signature")
