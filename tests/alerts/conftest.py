"""Fixtures of the alert tests: the storage fixtures (migrated SQLite/PostgreSQL/MySQL, fake clock)."""

from __future__ import annotations

from tests.storage.conftest import (  # noqa: F401 - re-exported fixtures
    clock,
    db,
    mysql_storage_url,
    postgres_storage_url,
    sqlite_storage_url,
    storage_url,
)
