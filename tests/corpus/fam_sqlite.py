"""SQLite through the standard ``sqlite3`` module (``sqlite_errorname``) on files in a temporary
directory."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.corpus.model import C, D, Family, S, T

NEEDS_TMP = True


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    path = tmp / "corpus.db"
    setup = sqlite3.connect(path)
    setup.executescript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER CHECK (n >= 0));"
        "CREATE TABLE s (id INTEGER PRIMARY KEY, v INTEGER) STRICT;"
        "INSERT INTO t VALUES (1, 'one', 1);"
    )
    setup.commit()
    setup.close()

    def run(*sql: str, timeout: float = 0, uri: str | None = None) -> Any:
        def go() -> None:
            conn = sqlite3.connect(uri or path, timeout=timeout, uri=uri is not None)
            try:
                for one in sql:
                    conn.execute(one)
                conn.commit()
            finally:
                conn.close()

        return go

    family.add("unique", run("INSERT INTO t VALUES (1, 'x', 0)"), D, "SQLITE_CONSTRAINT_PRIMARYKEY")
    family.add("not-null", run("INSERT INTO t VALUES (2, NULL, 0)"), D, "SQLITE_CONSTRAINT_NOTNULL")
    family.add("check", run("INSERT INTO t VALUES (2, 'x', -1)"), D, "SQLITE_CONSTRAINT_CHECK")
    family.add("strict-type", run("INSERT INTO s VALUES (1, 'abc')"), D, "SQLITE_CONSTRAINT_DATATYPE")

    def fk() -> None:
        conn = sqlite3.connect(":memory:")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE c (p INTEGER REFERENCES p (id))")
        conn.execute("INSERT INTO c VALUES (5)")

    family.add("fk", fk, D, "SQLITE_CONSTRAINT_FOREIGNKEY")

    def closed() -> None:
        conn = sqlite3.connect(":memory:")
        conn.close()
        conn.execute("SELECT 1")

    family.add("closed", closed, C, "ProgrammingError: operating on a closed connection (a code error)")
    family.add("no-table", run("SELECT * FROM missing"), C, "no such table")
    family.add("no-column", run("SELECT customer_id FROM t"), C, "no such column")
    family.add("syntax", run("SELEC 1"), C, "syntax error")
    family.add(
        "readonly",
        run("INSERT INTO t VALUES (5, 'x', 0)", uri=f"file:{path}?mode=ro"),
        C,
        "SQLITE_READONLY: opened read-only",
    )
    family.add("cantopen", run("SELECT 1", uri=f"file:{tmp}/missing/dir.db?mode=rw"), C, "SQLITE_CANTOPEN")
    garbage = tmp / "garbage.db"
    garbage.write_bytes(b"not a database file at all" * 100)
    family.add("notadb", run("SELECT * FROM t", uri=f"file:{garbage}"), C, "SQLITE_NOTADB: not a database")

    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    closing.append(holder.close)
    family.add("busy", run("SELECT * FROM t"), T, "SQLITE_BUSY: database is locked")
    family.add("busy-write", run("INSERT INTO t VALUES (7, 'x', 0)"), T, "SQLITE_BUSY on write")
    family.add(
        "value-too-big",
        lambda: sqlite3.connect(":memory:").execute("SELECT ?", (2**70,)),
        D,
        "OverflowError: Python int too large to convert to SQLite INTEGER",
    )
    family.add(
        "bindings",
        lambda: sqlite3.connect(":memory:").execute("SELECT ?, ?", (1,)),
        {C, D},
        "ProgrammingError: wrong number of bindings (a bug or a short record)",
    )
    _ = S
