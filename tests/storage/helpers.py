"""Helpers of the storage tests (fixtures live in ``conftest.py``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.tables import errorguard_metadata
from tests.harness import postgres as pg


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def postgres_unreachable(exc: BaseException) -> None:
    """Skip (locally) or fail (``CI=true``) because PostgreSQL cannot be reached."""
    message = (
        f"PostgreSQL at {pg.redacted(pg.admin_url())} (set {pg.PG_URL_ENV} to change) is unreachable: "
        f"{type(exc).__name__}: {str(exc).strip()}"
    )
    if in_ci():
        pytest.fail(f"{message} -- CI=true, so PostgreSQL tests fail instead of skipping", pytrace=False)
    pytest.skip(message)


class FakeClock:
    """An injectable clock: returns ``now`` until moved with :meth:`advance`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def empty_tables(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        for table in reversed(errorguard_metadata.sorted_tables):
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"TRUNCATE {table.name} RESTART IDENTITY")
            else:
                conn.execute(table.delete())
