"""
The quarantine's timestamps (:class:`UtcMicros`): integers of microseconds on SQLite, read back as
the aware UTC datetimes written (to the microsecond, whatever zone they were given in), filtered
by time through ``ix_errorguard_quarantine_created_at``; ``timestamp with time zone`` elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import create_storage_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import downgrade, upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineFilter, QuarantineItem
from airflow_errorguard.storage.tables import quarantine_table as q
from airflow_errorguard.storage.tables.column_types import UtcMicros, legacy_text_timestamps
from tests.storage.helpers import FakeClock

#: Times the rows are stored at, in several zones, with microseconds and around the epoch.
TIMES = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 1, 15, 12, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, 0, 999999, tzinfo=timezone(timedelta(hours=2))),
    datetime(2038, 1, 19, 3, 14, 8, 123456, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
]


def _store(db: Database, clock: FakeClock) -> QuarantineRepository:
    repo = QuarantineRepository(db)
    for n, at in enumerate(TIMES):
        clock.now = at
        repo.add(TaskIdentity("d", "t", f"r{n}"), [QuarantineItem(f"k{n}", n, "data", fingerprint="fp")])
    return repo


def test_timestamps_read_back_exact_and_utc(db: Database, clock: FakeClock) -> None:
    repo = _store(db, clock)
    rows = sorted(repo.page(limit=10).items, key=lambda r: r.record_key)
    assert [r.created_at for r in rows] == TIMES
    assert all(r.created_at.utcoffset() == timedelta(0) for r in rows)
    assert all(r.updated_at == r.created_at for r in rows)
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            raw = conn.exec_driver_sql(
                "SELECT typeof(created_at), created_at FROM errorguard_quarantine"
            ).all()
        assert {kind for kind, _ in raw} == {"integer"}
        assert sorted(v for _, v in raw) == sorted(
            (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) for t in TIMES
        )


def test_time_filters_select_by_the_instant(db: Database, clock: FakeClock) -> None:
    repo = _store(db, clock)
    after = datetime(2026, 3, 29, 0, 30, 0, 999999, tzinfo=UTC)  # TIMES[2], given in UTC
    got = repo.page(QuarantineFilter(created_after=after), limit=10).items
    assert {r.record_key for r in got} == {"k2", "k3"}
    got = repo.page(QuarantineFilter(created_before=after), limit=10).items
    assert {r.record_key for r in got} == {"k0", "k1"}


@pytest.mark.unit
def test_a_time_range_uses_the_created_at_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = create_storage_engine(url, pooled=False)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stmt = sa.select(q.c.id).where(q.c.created_at >= start, q.c.created_at < start + timedelta(days=1))
    with engine.connect() as conn:
        found = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {stmt.compile(engine)}", (0, 1)).all()
    plan = " ".join(str(row[-1]) for row in found)
    engine.dispose()
    assert "ix_errorguard_quarantine_created_at" in plan, plan


@pytest.mark.unit
def test_naive_values_are_refused_and_legacy_binds_are_text() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    kind = UtcMicros()
    with pytest.raises(ValueError, match="timezone-aware"):
        kind.process_bind_param(datetime(2026, 1, 1), dialect)
    at = datetime(2026, 1, 1, 1, 2, 3, 4, tzinfo=UTC)
    assert kind.process_bind_param(at, dialect) == 1767229323000004
    with legacy_text_timestamps():
        assert kind.process_bind_param(at, dialect) == "2026-01-01 01:02:03.000004"
    assert kind.process_result_value("2026-01-01 01:02:03.000004", dialect) == at
    assert kind.process_result_value(1767229323000004, dialect) == at


@pytest.mark.unit
def test_the_migration_converts_stored_text_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'text.db'}"
    upgrade(url, "d0029be7fa60")
    engine = create_storage_engine(url, pooled=False)
    stored = {  # record key -> (created_at, resolved_at) as SQLAlchemy / CURRENT_TIMESTAMP wrote them
        "k1": ("2026-01-15 12:00:00.000001", None),
        "k2": ("2026-03-29 00:30:00.999999", "2026-03-30 08:00:00.500000"),
        "k3": ("2025-12-31 23:59:59", None),
    }
    with engine.begin() as conn:
        for key, (created, resolved) in stored.items():
            conn.exec_driver_sql(
                "INSERT INTO errorguard_quarantine (dag_id, task_id, run_id, map_index, try_number, "
                "record_key, payload_bytes, payload_truncated, error_category, status, created_at, "
                "resolved_at) VALUES ('d', 't', 'r', -1, 1, ?, 0, 0, 'data', 'quarantined', ?, ?)",
                (key, created, resolved),
            )
    upgrade(url)
    rows = {r.record_key: r for r in QuarantineRepository(Database(engine)).page(limit=10).items}
    for key, (created, resolved) in stored.items():
        assert rows[key].created_at == datetime.fromisoformat(created).replace(tzinfo=UTC), key
        assert rows[key].resolved_at == (resolved and datetime.fromisoformat(resolved).replace(tzinfo=UTC))
    window = QuarantineFilter(created_after=datetime(2026, 1, 15, 12, 0, 0, 1, tzinfo=UTC))
    assert {r.record_key for r in QuarantineRepository(Database(engine)).page(window).items} == {"k1", "k2"}

    downgrade(url, "d0029be7fa60")
    with engine.connect() as conn:
        back = conn.exec_driver_sql(
            "SELECT record_key, created_at, resolved_at FROM errorguard_quarantine ORDER BY record_key"
        ).all()
    engine.dispose()
    assert back == [
        ("k1", "2026-01-15 12:00:00.000001", None),
        ("k2", "2026-03-29 00:30:00.999999", "2026-03-30 08:00:00.500000"),
        ("k3", "2025-12-31 23:59:59.000000", None),  # now with its fraction, as SQLAlchemy writes it
    ]
