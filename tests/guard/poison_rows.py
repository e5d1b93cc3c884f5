"""
A load target with real constraints and a record stream with poison rows of six kinds mixed in,
for the load-time bisection tests (SQLite and PostgreSQL), and what a load left behind (the ids
loaded, the quarantine rows).

Kinds: a duplicate primary key, a NULL in a NOT NULL column, a CHECK violation, a foreign key to a
missing parent, a numeric overflow (PostgreSQL ``NUMERIC(8,2)``; on SQLite the driver refuses an
integer beyond 64 bits) and an invalid date (PostgreSQL ``DATE``; on SQLite a CHECK that the text
is a real calendar date).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

TARGET = "eg_load_target"
PARENT = "eg_load_parent"
KINDS = ("unique", "not_null", "check", "foreign_key", "overflow", "invalid_date")


def create_tables(url: str) -> None:
    """(Re)create the parent and target tables in the database at *url*."""
    engine = sa.create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    date_check = (
        ", CONSTRAINT due_is_date CHECK (due IS NULL OR date(due, '+0 days') IS due)" if sqlite else ""
    )
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {TARGET}"))
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {PARENT}"))
            conn.execute(sa.text(f"CREATE TABLE {PARENT} (id INTEGER PRIMARY KEY)"))
            conn.execute(sa.text(f"INSERT INTO {PARENT} (id) VALUES (1), (2), (3)"))
            conn.execute(
                sa.text(
                    f"CREATE TABLE {TARGET} (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, "
                    "qty INTEGER CONSTRAINT qty_positive CHECK (qty > 0), "
                    f"parent_id INTEGER REFERENCES {PARENT}(id), amount NUMERIC(8, 2), due "
                    f"{'TEXT' if sqlite else 'DATE'}{date_check})"
                )
            )
    finally:
        engine.dispose()


def poison_kind(position: int, every: int) -> str | None:
    """The kind of poison at *position* (one row in *every*), or ``None`` for a good row."""
    if position % every != every // 2:
        return None
    return KINDS[(position // every) % len(KINDS)]


def row_for(position: int, every: int) -> dict[str, Any]:
    """The output row of the record at *position*; poison of one kind at one row in *every*."""
    row: dict[str, Any] = {
        "id": position,
        "name": f"row {position}",
        "qty": 1 + position % 7,
        "parent_id": 1 + position % 3,
        "amount": round(position % 1000 / 8, 2),
        "due": f"2026-{1 + position % 12:02d}-{1 + position % 28:02d}",
    }
    kind = poison_kind(position, every)
    if kind == "unique":
        row["id"] = position - 1  # the previous row's key: it loads first, this one is the duplicate
    elif kind == "not_null":
        row["name"] = None
    elif kind == "check":
        row["qty"] = -5
    elif kind == "foreign_key":
        row["parent_id"] = 999_999
    elif kind == "overflow":
        row["amount"] = 10**22
    elif kind == "invalid_date":
        row["due"] = "2026-02-30"
    return row


def expected_reason(kind: str, backend: str) -> str:
    """What the quarantine reason of a poison row of *kind* must name on *backend*."""
    if backend == "postgresql":
        return {
            "unique": "SQLSTATE 23505, constraint eg_load_target_pkey",
            "not_null": "SQLSTATE 23502, column name",
            "check": "SQLSTATE 23514, constraint qty_positive",
            "foreign_key": "SQLSTATE 23503, constraint eg_load_target_parent_id_fkey",
            "overflow": "SQLSTATE 22003",
            "invalid_date": "SQLSTATE 22008",
        }[kind]
    return {
        "unique": "SQLITE_CONSTRAINT_PRIMARYKEY, column eg_load_target.id",
        "not_null": "SQLITE_CONSTRAINT_NOTNULL, column eg_load_target.name",
        "check": "SQLITE_CONSTRAINT_CHECK, constraint qty_positive",
        "foreign_key": "SQLITE_CONSTRAINT_FOREIGNKEY",
        "overflow": "Python int too large to convert to SQLite INTEGER",
        "invalid_date": "SQLITE_CONSTRAINT_CHECK, constraint due_is_date",
    }[kind]


def loaded_ids(url: str) -> Counter[int]:
    """How many times each id stands in the target table."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return Counter(r[0] for r in conn.execute(sa.text(f"SELECT id FROM {TARGET}")))
    finally:
        engine.dispose()


def quarantined(url: str) -> list[dict[str, Any]]:
    """The quarantine rows in the database at *url*: record key, reason and category."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT record_key, s.reason, q.error_category FROM errorguard_quarantine q "
                    "JOIN errorguard_error_signature s ON s.signature_key = q.signature_key"
                )
            )
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()
