"""Incident repository: dedup, repeat interval with reminders, group wait, resolve/reopen (fake clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.incidents import IncidentRepository, Observation
from tests.storage.helpers import FakeClock

HOUR = timedelta(hours=1)


def obs(key: str = "dag=d|fingerprint=f1", run: str = "r1", dag: str = "d", task: str = "t") -> Observation:
    return Observation(
        incident_key=key,
        error_category="configuration",
        fingerprint="f1",
        dag_id=dag,
        task_id=task,
        run_id=run,
    )


def test_one_notification_per_repeat_interval_then_a_reminder(db: Database, clock: FakeClock) -> None:
    repo = IncidentRepository(db)
    first = repo.observe(obs(), repeat_interval=HOUR)
    assert (first.notify, first.reminder, first.since_last) == (True, False, 1)
    clock.now = first.incident.first_seen_at + timedelta(minutes=59)
    dup = repo.observe(obs(run="r2"), repeat_interval=HOUR)
    assert not dup.notify and dup.incident.suppressed_count == 1
    clock.now = first.incident.first_seen_at + timedelta(minutes=61)
    again = repo.observe(obs(run="r3"), repeat_interval=HOUR)
    assert (again.notify, again.reminder, again.since_last) == (True, True, 2)
    row = repo.get("dag=d|fingerprint=f1")
    assert row is not None
    assert (row.occurrences, row.notify_count, row.suppressed_count, row.run_id) == (3, 2, 1, "r3")
    assert row.last_notified_at == clock.now


def test_resolve_once_and_reopen_starts_afresh(db: Database, clock: FakeClock) -> None:
    repo = IncidentRepository(db)
    repo.observe(obs(), repeat_interval=HOUR)
    clock.advance(minutes=5)
    resolved = repo.resolve("dag=d|fingerprint=f1")
    assert resolved is not None and resolved.status == "resolved" and resolved.resolved_at == clock.now
    assert repo.resolve("dag=d|fingerprint=f1") is None  # only one caller sends the resolve notice
    clock.advance(minutes=1)
    reopened = repo.observe(obs(run="r9"), repeat_interval=HOUR)
    assert reopened.notify and not reopened.reminder  # a new incident, inside the old repeat interval
    assert (reopened.incident.status, reopened.incident.occurrences) == ("open", 1)
    assert reopened.incident.first_seen_at == clock.now


def test_group_wait_defers_the_first_notification_to_one_claim(db: Database, clock: FakeClock) -> None:
    repo = IncidentRepository(db)
    wait = timedelta(seconds=30)
    burst = [repo.observe(obs(run=f"r{i}"), repeat_interval=HOUR, group_wait=wait) for i in range(4)]
    assert not any(c.notify for c in burst)
    assert {c.pending_until for c in burst} == {burst[0].incident.first_seen_at + wait}
    assert (
        repo.claim_after_wait("dag=d|fingerprint=f1", repeat_interval=HOUR, group_wait=wait).notify is False
    )
    clock.advance(seconds=30)
    claims = [
        repo.claim_after_wait("dag=d|fingerprint=f1", repeat_interval=HOUR, group_wait=wait) for _ in range(4)
    ]
    assert [c.notify for c in claims if c] == [True, False, False, False]
    assert claims[0] is not None and claims[0].since_last == 4  # the whole burst in one alert


def test_record_only_never_claims(db: Database) -> None:
    repo = IncidentRepository(db)
    claim = repo.observe(obs(), repeat_interval=HOUR, may_notify=False)
    assert not claim.notify and claim.incident.notify_count == 0
    assert repo.observe(obs(), repeat_interval=HOUR).notify


def test_listing_and_open_for_task(db: Database) -> None:
    repo = IncidentRepository(db)
    repo.observe(obs("k1"), repeat_interval=HOUR)
    repo.observe(obs("k2"), repeat_interval=HOUR)
    repo.resolve("k1")
    assert [i.incident_key for i in repo.open_for_task("d", "t")] == ["k2"]
    first = repo.list(limit=1)
    assert [i.incident_key for i in first] == ["k1"]
    assert [i.incident_key for i in repo.list(after_id=first[0].id)] == ["k2"]
    assert [i.incident_key for i in repo.list(status="resolved")] == ["k1"]
    with pytest.raises(ValueError, match="incident key"):
        repo.observe(obs("x" * 201), repeat_interval=HOUR)


def test_an_incident_resolves_when_every_task_it_was_seen_on_has_succeeded(db: Database) -> None:
    repo = IncidentRepository(db)
    key = "fingerprint=f1"
    repo.observe(obs(key, dag="orders", task="load"), repeat_interval=HOUR)
    repo.observe(obs(key, dag="billing", task="charge"), repeat_interval=HOUR)
    row = repo.get(key)
    assert row is not None and (row.dag_id, row.task_id) == ("billing", "charge")  # last seen, both
    assert repo.tasks(key) == [("billing", "charge", True), ("orders", "load", True)]
    assert [i.incident_key for i in repo.open_for_task("orders", "load")] == [key]
    assert repo.fixed_on(key, "orders", "load") is None  # billing.charge still fails
    assert repo.open_for_task("orders", "load") == []
    assert repo.tasks(key) == [("billing", "charge", True), ("orders", "load", False)]
    repo.observe(obs(key, dag="orders", task="load", run="r2"), repeat_interval=HOUR)  # fails again
    assert repo.fixed_on(key, "billing", "charge") is None  # orders.load is failing again
    resolved = repo.fixed_on(key, "orders", "load")
    assert resolved is not None and resolved.status == "resolved"
    assert repo.fixed_on(key, "orders", "load") is None  # exactly one caller resolves
    # Reopened, it forgets the tasks of its previous life.
    repo.observe(obs(key, dag="orders", task="load", run="r3"), repeat_interval=HOUR)
    assert repo.tasks(key) == [("orders", "load", True)]


def test_concurrent_successes_of_the_last_two_tasks_resolve_exactly_once(db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    repo = IncidentRepository(db)
    for round_ in range(5):
        key = f"fingerprint=race{round_}"
        tasks = [("a", "t1"), ("b", "t2"), ("c", "t3")]
        for dag, task in tasks:
            repo.observe(obs(key, dag=dag, task=task), repeat_interval=HOUR)
        with ThreadPoolExecutor(len(tasks)) as pool:
            results = list(pool.map(lambda dt, k=key: repo.fixed_on(k, *dt), tasks))
        assert sum(r is not None for r in results) == 1, results
        row = repo.get(key)
        assert row is not None and row.status == "resolved"


def test_incident_report_counts_sent_and_suppressed(db: Database) -> None:
    from airflow_errorguard.alerts.report import incident_report

    assert incident_report(db) == "no incidents"
    repo = IncidentRepository(db)
    for run in ("r1", "r2", "r3"):
        repo.observe(obs(run=run), repeat_interval=HOUR)
    report = incident_report(db, dag_id="d")
    assert "dag=d|fingerprint=f1: 3 failure(s), 1 alert(s) sent, 2 suppressed" in report
    assert report.endswith("total: 1 incident(s), 1 alert(s) sent, 2 suppressed")
