"""Error statistics API on real tables: counts, top patterns, budgets, windows (fake clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_errorguard.storage import stats
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.events import ErrorEvent, ErrorEventRepository
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from tests.storage.helpers import FakeClock


def event(dag: str, category: str, fingerprint: str, run: str = "r1", etype: str = "E") -> ErrorEvent:
    return ErrorEvent(
        identity=TaskIdentity(dag, "t", run, try_number=1),
        error_category=category,
        action="alert",
        fingerprint=fingerprint,
        exception_type=etype,
    )


@pytest.fixture
def history(db: Database, clock: FakeClock) -> FakeClock:
    events = ErrorEventRepository(db)
    start = clock.now
    events.append(event("old", "data", "fp-old"))  # outside the window below
    clock.advance(hours=2)
    for i in range(3):
        events.append(event("sales", "transient", "fp-a", run=f"r{i}", etype="TimeoutError"))
        clock.advance(minutes=10)
    events.append(event("billing", "transient", "fp-a", etype="TimeoutError"))
    clock.advance(minutes=10)
    events.append(event("billing", "configuration", "fp-b"))
    clock.now = start + timedelta(hours=3)
    return clock


def test_counts_over_a_window(db: Database, history: FakeClock) -> None:
    since = history.now - timedelta(hours=2)
    assert stats.counts_by_category(db, since) == {"transient": 4, "configuration": 1}
    assert stats.counts_by_category(db, since, dag_id="billing") == {"configuration": 1, "transient": 1}
    assert stats.counts_by_dag(db, since) == {"sales": 3, "billing": 2}
    assert stats.counts_by_fingerprint(db, since, limit=1) == {"fp-a": 4}
    assert stats.counts_by_category(db, since - timedelta(hours=1))["data"] == 1
    assert stats.occurrences(db, "fp-a", since) == 4
    assert stats.occurrences(db, "fp-a", since, history.now - timedelta(minutes=55)) == 1


def test_top_patterns_have_first_and_last_seen(db: Database, history: FakeClock) -> None:
    since = history.now - timedelta(hours=2)
    top = stats.top_patterns(db, since)
    assert [(p.fingerprint, p.count, p.dag_count) for p in top] == [("fp-a", 4, 2), ("fp-b", 1, 1)]
    a = top[0]
    assert a.first_seen == since + timedelta(minutes=60)
    assert a.last_seen == since + timedelta(minutes=90)
    assert a.first_seen.tzinfo is not None and (a.error_category, a.exception_type) == (
        "transient",
        "TimeoutError",
    )


def test_error_budget_and_quarantine_per_run(db: Database, history: FakeClock) -> None:
    since = history.now - timedelta(hours=2)
    budget = {b.dag_id: b for b in stats.error_budget(db, since, budget=2)}
    assert (budget["sales"].failures, budget["sales"].remaining, budget["sales"].breached) == (3, 0, True)
    assert (budget["billing"].remaining, budget["billing"].breached) == (0, False)
    QuarantineRepository(db).add(
        TaskIdentity("sales", "t", "r1", try_number=1),
        [QuarantineItem.from_exception(f"k{i}", {"i": i}, ValueError("bad")) for i in range(3)],
    )
    assert stats.quarantined_in_run(db, "sales", "r1") == 3
    assert stats.quarantined_in_run(db, "sales", "r2") == 0
    with pytest.raises(ValueError, match="limit"):
        stats.counts_by_dag(db, since, limit=0)
    with pytest.raises(ValueError, match="budget"):
        stats.error_budget(db, since, budget=-1)
