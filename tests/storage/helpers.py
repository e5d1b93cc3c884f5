"""Helpers of the storage tests (fixtures live in ``conftest.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.tables import errorguard_metadata


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
