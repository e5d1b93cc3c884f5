"""One contract, every storage: memory, SQLite, PostgreSQL (and MariaDB when reachable)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from airflow_errorguard.breaker import (
    CallContext,
    Circuit,
    CircuitBreaker,
    CircuitState,
    MemoryCircuitStorage,
)
from airflow_errorguard.breaker.storage import CircuitStorage
from airflow_errorguard.exceptions import CircuitOpenError
from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.circuits import SqlCircuitStorage
from airflow_errorguard.storage.database import Database
from tests.storage.helpers import FakeClock

CONFIG = Circuit("crm_api", failure_rate=0.5, window=4, minimum_calls=4, open_duration=30, half_open_probes=2)
TASK = CallContext(actor="etl.load", dag_id="etl", task_id="load", run_id="manual__1", map_index=-1)


@pytest.fixture
def storage(circuit_storage: CircuitStorage) -> CircuitStorage:
    return circuit_storage


def audit_actions(storage: CircuitStorage, name: str) -> list[tuple[str, str]]:
    if isinstance(storage, MemoryCircuitStorage):
        return [(a["action"], a["actor"]) for a in storage.audit if a["entity_id"] == name]
    assert isinstance(storage, SqlCircuitStorage)
    return [(e.action, e.actor) for e in reversed(AuditRepository(storage._tx).history("circuit", name))]


def test_full_cycle_is_shared_and_recorded(storage: CircuitStorage, clock: FakeClock) -> None:
    one = CircuitBreaker(CONFIG, storage, clock=clock, context=TASK)
    other = CircuitBreaker(CONFIG, storage, clock=clock)  # another worker, same circuit
    assert storage.load("crm_api") is None
    one.record_failure("transient")
    other.record_success()
    other.record_failure("system")
    one.record_failure("transient")
    snap = storage.load("crm_api")
    assert snap is not None and snap.state is CircuitState.OPEN
    assert (snap.total_calls, snap.total_failures, snap.trip_count) == (4, 3, 1)
    assert snap.next_probe_at == clock.now + timedelta(seconds=30)
    with pytest.raises(CircuitOpenError):
        other.before_call()  # the other worker sees the shared state
    assert storage.load("crm_api").total_rejected == 1  # type: ignore[union-attr]
    clock.advance(seconds=30)
    assert one.before_call().probe and other.before_call().probe
    with pytest.raises(CircuitOpenError, match="half_open"):
        one.before_call()
    one.record_success()
    other.record_success()
    final = storage.load("crm_api")
    assert final is not None and final.state is CircuitState.CLOSED
    assert final.total_rejected == 2 and final.trip_count == 0
    events = storage.events("crm_api")
    assert [(e.from_state, e.to_state) for e in events] == [
        ("half_open", "closed"),
        ("open", "half_open"),
        ("closed", "open"),
    ]
    trip = events[-1]
    assert (trip.dag_id, trip.task_id, trip.run_id, trip.actor) == ("etl", "load", "manual__1", "etl.load")
    assert trip.failure_rate == pytest.approx(0.75) and trip.calls_in_window == 4
    assert trip.next_probe_at == snap.next_probe_at
    assert storage.names() == ["crm_api"]
    assert audit_actions(storage, "crm_api") == []


def test_versions_move_only_on_change(storage: CircuitStorage, clock: FakeClock) -> None:
    b = CircuitBreaker(CONFIG, storage, clock=clock)
    b.record_success()
    v1 = storage.load("crm_api").version  # type: ignore[union-attr]
    b.before_call()  # closed: nothing to write
    assert storage.load("crm_api").version == v1  # type: ignore[union-attr]
    b.record_failure("data")  # not counted, but the lifetime counters move
    snap = storage.load("crm_api")
    assert snap.version == v1 + 1 and snap.total_failures == 0 and snap.last_error_category == "data"  # type: ignore[union-attr]


def test_manual_actions_write_events_and_audit(storage: CircuitStorage, clock: FakeClock) -> None:
    b = CircuitBreaker(CONFIG, storage, clock=clock)
    b.force_open(actor="alice", note="vendor maintenance")
    with pytest.raises(CircuitOpenError) as info:
        b.before_call()
    assert info.value.state == "forced_open"
    b.disable(actor="bob")
    b.reset(actor="carol")
    b.force_close(actor="dave")
    assert audit_actions(storage, "crm_api") == [
        ("force_open", "alice"),
        ("disable", "bob"),
        ("reset", "carol"),
        ("force_close", "dave"),
    ]
    assert [(e.to_state, e.actor) for e in storage.events("crm_api")] == [
        ("closed", "carol"),
        ("disabled", "bob"),
        ("forced_open", "alice"),
    ]
    assert "vendor maintenance" in (storage.events("crm_api")[-1].reason or "")


def test_time_window_round_trips(storage: CircuitStorage, clock: FakeClock) -> None:
    config = Circuit("tw", window_type="time", window=timedelta(minutes=2), failure_rate=0.5, minimum_calls=3)
    b = CircuitBreaker(config, storage, clock=clock)
    b.record_failure("transient")
    clock.advance(seconds=200)
    b.record_success()
    b.record_failure("system")
    assert storage.load("tw").state is CircuitState.CLOSED  # type: ignore[union-attr]
    b.record_failure("transient")
    assert storage.load("tw").state is CircuitState.OPEN  # type: ignore[union-attr]


def test_sql_storage_keeps_the_config(db: Database) -> None:
    storage = SqlCircuitStorage(db)
    CircuitBreaker(CONFIG, storage, clock=db.clock).record_success()
    assert storage.config_of("crm_api")["open_duration"] == 30  # type: ignore[index]
    storage.save_config(CONFIG.with_overrides(open_duration=45))
    assert storage.config_of("crm_api")["open_duration"] == 45  # type: ignore[index]
    assert storage.config_of("nope") is None


def test_sql_storage_reads_the_newest_events_of_many_circuits(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_errorguard.storage import circuit_events

    storage = SqlCircuitStorage(db)
    names = [f"c{n}" for n in range(5)]
    for n, name in enumerate(names[:4]):  # c4 has no transitions
        b = CircuitBreaker(Circuit(name), storage, clock=db.clock)
        for step in range(n + 2):
            b.force_open(actor=f"a{step}") if step % 2 == 0 else b.reset(actor=f"a{step}")
    # Several statements, one partial (not on PostgreSQL: one LATERAL join there).
    monkeypatch.setattr(circuit_events, "PER_STATEMENT", 2)
    found = storage.events_of(names, limit=3)
    assert found == {name: storage.events(name, limit=3) for name in names}
    ev = circuit_events.ev  # the plain query the index-friendly one replaces
    with db.transaction("reading", write=False) as conn:
        for name in names:
            stmt = select(ev).where(ev.c.circuit_name == name).order_by(ev.c.id.desc()).limit(3)
            assert found[name] == [circuit_events.event_of(m) for m in conn.execute(stmt).mappings()]
    assert [len(found[name]) for name in names] == [2, 3, 3, 3, 0]
