"""
Built-in knowledge of SQLite result codes (extended error names).
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T

#: SQLite extended error names (``sqlite3.Error.sqlite_errorname``, Python 3.11+).
SQLITE: dict[str, Entry] = {
    "SQLITE_BUSY": (T, 0.97, "(database is busy)"),
    "SQLITE_LOCKED": (T, 0.95, "(table is locked)"),
    "SQLITE_CONSTRAINT": (D, 0.95, "(constraint violation)"),
    "SQLITE_MISMATCH": (D, 0.9, "(datatype mismatch)"),
    "SQLITE_TOOBIG": (D, 0.9, "(value too big)"),
    "SQLITE_RANGE": (D, 0.8, "(parameter index out of range)"),
    "SQLITE_CANTOPEN": (C, 0.9, "(cannot open the database file)"),
    "SQLITE_PERM": (C, 0.9, "(access permission denied)"),
    "SQLITE_AUTH": (C, 0.95, "(authorization denied)"),
    "SQLITE_READONLY": (C, 0.85, "(attempt to write a read-only database)"),
    "SQLITE_NOTADB": (C, 0.85, "(file is not a database)"),
    "SQLITE_FULL": (S, 0.95, "(database or disk is full)"),
    "SQLITE_IOERR": (S, 0.85, "(disk I/O error)"),
    "SQLITE_NOMEM": (S, 0.95, "(out of memory)"),
    "SQLITE_CORRUPT": (S, 0.9, "(database disk image is malformed)"),
    "SQLITE_INTERRUPT": (T, 0.8, "(operation interrupted)"),
    "SQLITE_PROTOCOL": (T, 0.8, "(locking protocol error)"),
    "SQLITE_SCHEMA": (T, 0.7, "(the schema changed: prepare again)"),
    "SQLITE_ABORT": (T, 0.6, "(the operation was aborted)"),
}
