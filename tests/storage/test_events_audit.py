"""Error events and audit contract (every backend)."""

from __future__ import annotations

from datetime import timedelta

from airflow_errorguard.classification import Classifier
from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.events import ErrorEvent, ErrorEventRepository
from airflow_errorguard.storage.identity import TaskIdentity
from tests.storage.helpers import FakeClock


def event(task: str, fingerprint: str, try_number: int = 1, category: str = "transient") -> ErrorEvent:
    return ErrorEvent(
        identity=TaskIdentity("etl", task, "manual__1", try_number=try_number),
        error_category=category,
        action="retry",
        decision="retry",
        delay_seconds=12.5,
        fingerprint=fingerprint,
        exception_type="builtins.ConnectionResetError",
        exception_message="reset by peer",
        reason="network",
        rule="builtin:errno",
        confidence=0.9,
        max_tries=3,
    )


def test_append_and_query_by_fingerprint_and_window(db: Database, clock: FakeClock) -> None:
    repo = ErrorEventRepository(db)
    start = clock.now
    first_id = repo.append(event("a", "fp1"))
    clock.advance(minutes=10)
    assert (
        repo.append_many([event("a", "fp1", 2), event("b", "fp2"), event("b", "fp1", category="data")]) == 3
    )
    clock.advance(minutes=10)
    repo.append(event("c", "fp3"))

    fp1 = repo.by_fingerprint("fp1")
    assert [e.try_number for e in fp1] == [1, 2, 1]  # newest first (same time: by id)
    assert fp1[-1].id == first_id
    assert fp1[-1].delay_seconds == 12.5 and fp1[-1].max_tries == 3 and fp1[-1].created_at == start
    assert len(repo.by_fingerprint("fp1", since=start + timedelta(minutes=5))) == 2
    assert len(repo.by_fingerprint("fp1", until=start + timedelta(minutes=5))) == 1
    window = repo.in_window(start + timedelta(minutes=5), start + timedelta(minutes=15))
    assert len(window) == 3
    assert len(repo.in_window(start, task_id="b", dag_id="etl")) == 2
    assert len(repo.in_window(start, error_category="data")) == 1
    counts = repo.count_by_fingerprint(start)
    assert [(c.fingerprint, c.count) for c in counts] == [("fp1", 3), ("fp2", 1), ("fp3", 1)]
    assert counts[0].last_seen == start + timedelta(minutes=10)
    assert counts[0].last_seen.tzinfo is not None


def test_outcome_and_purge(db: Database, clock: FakeClock) -> None:
    repo = ErrorEventRepository(db)
    repo.append_many([event("a", "fp", 1), event("a", "fp", 2)])
    identity = TaskIdentity("etl", "a", "manual__1")
    assert repo.set_outcome(identity, "success", try_number=2) == 1
    assert repo.set_outcome(identity, "failed") == 1  # only the one without an outcome
    outcomes = {e.try_number: (e.outcome, e.outcome_at) for e in repo.by_fingerprint("fp")}
    assert outcomes == {1: ("failed", clock.now), 2: ("success", clock.now)}
    clock.advance(days=2)
    repo.append(event("a", "fp", 3))
    assert repo.purge(clock.now - timedelta(days=1)) == 2
    assert len(repo.by_fingerprint("fp")) == 1


def test_event_from_a_real_classification(db: Database) -> None:
    try:
        {"id": 1}["customer_id"]
    except KeyError as err:
        error = err
    verdict = Classifier().classify(error)
    ev = ErrorEvent.from_classification(
        TaskIdentity("etl", "t", "r", try_number=1), verdict, error=error, decision="fail", delay=timedelta(0)
    )
    repo = ErrorEventRepository(db)
    repo.append(ev)
    stored = repo.by_fingerprint(verdict.fingerprint)[0]
    assert (stored.error_category, stored.action, stored.decision) == (
        str(verdict.category),
        str(verdict.action),
        "fail",
    )
    assert stored.exception_message == "'customer_id'" and stored.rule == verdict.rule


def test_audit_record_history_recent_purge(db: Database, clock: FakeClock) -> None:
    audit = AuditRepository(db)
    audit.record(
        "circuit",
        "orders-api",
        "force_open",
        actor="alice",
        before={"state": "closed"},
        after={"state": "open"},
    )
    clock.advance(hours=1)
    audit.record("circuit", "orders-api", "close", actor="bob", note="recovered")
    audit.record("circuit", "other", "close", actor="bob")
    history = audit.history("circuit", "orders-api")
    assert [(h.action, h.actor) for h in history] == [("close", "bob"), ("force_open", "alice")]
    assert history[1].state_before == {"state": "closed"} and history[1].state_after == {"state": "open"}
    recent = audit.recent(limit=2)
    assert [r.entity_id for r in recent] == ["other", "orders-api"]
    assert [r.action for r in audit.recent(before_id=recent[-1].id)] == ["force_open"]
    assert audit.purge(clock.now - timedelta(minutes=30)) == 1
    assert len(audit.recent()) == 2
