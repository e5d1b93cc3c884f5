"""Incident repository: dedup, repeat interval with reminders, group wait, resolve/reopen (fake clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.incidents import IncidentRepository, Observation
from tests.storage.helpers import FakeClock

HOUR = timedelta(hours=1)


def obs(key: str = "dag=d|fingerprint=f1", run: str = "r1") -> Observation:
    return Observation(
        incident_key=key,
        error_category="configuration",
        fingerprint="f1",
        dag_id="d",
        task_id="t",
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


def test_incident_report_counts_sent_and_suppressed(db: Database) -> None:
    from airflow_errorguard.alerts.report import incident_report

    assert incident_report(db) == "no incidents"
    repo = IncidentRepository(db)
    for run in ("r1", "r2", "r3"):
        repo.observe(obs(run=run), repeat_interval=HOUR)
    report = incident_report(db, dag_id="d")
    assert "dag=d|fingerprint=f1: 3 failure(s), 1 alert(s) sent, 2 suppressed" in report
    assert report.endswith("total: 1 incident(s), 1 alert(s) sent, 2 suppressed")
