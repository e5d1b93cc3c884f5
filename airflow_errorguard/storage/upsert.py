"""Dialect-specific ``INSERT`` that skips rows violating a unique constraint."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.sql.dml import Insert

from airflow_errorguard.exceptions import ErrorGuardStorageConfigError

SUPPORTED_BACKENDS = ("postgresql", "sqlite", "mysql", "mariadb")


def insert_ignoring_duplicates(table: Table, backend: str) -> Insert:
    """
    ``INSERT`` into *table* that silently skips rows conflicting with any unique constraint:
    PostgreSQL and SQLite ``ON CONFLICT DO NOTHING``, MySQL/MariaDB ``INSERT IGNORE``.
    """
    if backend == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if backend == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    if backend in ("mysql", "mariadb"):
        return table.insert().prefix_with("IGNORE")
    raise ErrorGuardStorageConfigError(
        f"errorguard storage does not support the {backend!r} database; "
        f"use one of {', '.join(SUPPORTED_BACKENDS)}"
    )
