"""
The optional trigram index behind quarantine message search (PostgreSQL).

Searching error messages (the UI's ``q``, the CLI's ``--contains``: ``error_message ILIKE
'%…%'`` on PostgreSQL) scans the table without an index: about 2 s on a million rows. A GIN
index with ``pg_trgm``'s operator class answers it in tens of milliseconds, but extracting
trigrams slows every quarantine insert (a bulk ``add`` runs at ~0.6x, see
``benchmarks/bench_storage.py``), so it is **opt-in**: ``errorguard db search-index create``. It
is built ``CONCURRENTLY`` (no lock on writers) and needs the ``pg_trgm`` extension, which the
database owner can create (a trusted extension since PostgreSQL 13).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.storage.database import Database, translate_errors

#: The index's name.
MESSAGE_SEARCH_INDEX = "ix_errorguard_quarantine_message_trgm"

_STATE = """
SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relname = %(name)s AND pg_table_is_visible(c.oid)
"""


def _require_postgres(db: Database) -> None:
    if db.backend != "postgresql":
        raise ErrorGuardConfigError(
            f"the message search index needs PostgreSQL (pg_trgm); connection {db.conn_id!r} is "
            f"{db.backend}, where message search scans the table"
        )


def message_search_index_state(db: Database) -> str:
    """``"present"``, ``"absent"``, ``"invalid"`` (a failed concurrent build) or ``"unsupported"``."""
    if db.backend != "postgresql":
        return "unsupported"
    with db.transaction("reading the message search index", write=False) as conn:
        row = conn.exec_driver_sql(_STATE, {"name": MESSAGE_SEARCH_INDEX}).first()
    if row is None:
        return "absent"
    return "present" if row[0] else "invalid"


def create_message_search_index(db: Database) -> bool:
    """
    Create ``pg_trgm`` (if missing) and the index, concurrently; ``False`` when it was there.
    An invalid index left by an interrupted build is dropped and built again.

    :raises ErrorGuardConfigError: not PostgreSQL, or ``pg_trgm`` cannot be created.
    """
    _require_postgres(db)
    state = message_search_index_state(db)
    if state == "present":
        return False
    with _autocommit(db, "creating the message search index") as conn:
        try:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except sa_exc.DBAPIError as err:
            reason = str(getattr(err, "orig", err)).strip().splitlines()[0]
            raise ErrorGuardConfigError(
                f"cannot create the pg_trgm extension on connection {db.conn_id!r} ({reason}); "
                "ask a database owner or superuser to run `CREATE EXTENSION pg_trgm` in this "
                "database, then run this again"
            ) from err
        if state == "invalid":
            conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {MESSAGE_SEARCH_INDEX}")
        conn.exec_driver_sql(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {MESSAGE_SEARCH_INDEX} "
            "ON errorguard_quarantine USING gin (error_message gin_trgm_ops)"
        )
    return True


def drop_message_search_index(db: Database) -> bool:
    """Drop the index, concurrently; ``False`` when there was none."""
    _require_postgres(db)
    if message_search_index_state(db) == "absent":
        return False
    with _autocommit(db, "dropping the message search index") as conn:
        conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {MESSAGE_SEARCH_INDEX}")
    return True


@contextmanager
def _autocommit(db: Database, operation: str) -> Iterator[Connection]:
    """A connection outside any transaction (``CONCURRENTLY`` refuses to run inside one)."""
    with translate_errors(db.conn_id, db.backend, operation), db.engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")
