"""The state machine through :class:`CircuitBreaker` on memory storage with a step clock."""

from __future__ import annotations

import pickle

import pytest

from airflow_errorguard.breaker import (
    Admission,
    CallContext,
    Circuit,
    CircuitBreaker,
    CircuitListener,
    CircuitState,
    MemoryCircuitStorage,
    Transition,
)
from airflow_errorguard.exceptions import CircuitOpenError, ErrorGuardStorageError
from tests.breaker.helpers_breaker import StepClock

pytestmark = pytest.mark.unit


class Recorder(CircuitListener):
    def __init__(self) -> None:
        self.transitions: list[tuple[str, str]] = []
        self.rejected: list[Admission] = []

    def on_transition(self, transition: Transition, context: CallContext) -> None:
        self.transitions.append((transition.from_state.value, transition.to_state.value))

    def on_rejected(self, circuit: str, admission: Admission, context: CallContext) -> None:
        self.rejected.append(admission)


def make(config: Circuit, clock: StepClock | None = None, **kwargs: object) -> CircuitBreaker:
    return CircuitBreaker(config, MemoryCircuitStorage(), clock=clock or StepClock(), **kwargs)  # type: ignore[arg-type]


def test_rate_trip_open_half_open_close_cycle() -> None:
    clock = StepClock()
    listener = Recorder()
    b = make(
        Circuit("api", failure_rate=0.5, window=4, minimum_calls=4, open_duration=30),
        clock,
        listeners=[listener],
    )
    b.record_success()
    b.record_failure("transient")
    b.record_failure("transient")
    assert b.state().state is CircuitState.CLOSED  # 3 calls < minimum_calls
    b.record_success()  # 2/4 = 50% -> not a failure, rate judged on failures only
    assert b.state().state is CircuitState.CLOSED
    b.record_failure("transient")  # window [F, F, S, F] = 75%
    snap = b.state()
    assert snap.state is CircuitState.OPEN and snap.trip_count == 1
    assert snap.next_probe_at == clock.now + __import__("datetime").timedelta(seconds=30)
    with pytest.raises(CircuitOpenError) as info:
        b.before_call()
    assert (info.value.name, info.value.state, info.value.next_probe_at) == (
        "api",
        "open",
        snap.next_probe_at,
    )
    clock.advance(30)
    assert b.peek().allowed and b.peek().probe  # the sensor's view: a probe would go through
    assert b.before_call().probe  # takes the only probe slot
    assert b.state().state is CircuitState.HALF_OPEN
    with pytest.raises(CircuitOpenError, match="half_open"):
        b.before_call()
    b.record_success()
    assert b.state().state is CircuitState.CLOSED
    assert b.state().trip_count == 0 and b.state().window == []
    assert listener.transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    assert len(listener.rejected) == 2
    assert b.state().total_rejected == 2


def test_consecutive_failures_and_ignored_categories() -> None:
    b = make(Circuit("db", failure_rate=None, consecutive_failures=3, open_duration=5))
    for _ in range(5):
        b.record_failure("data")  # one bad row does not mean the service is down
    b.record_failure("transient")
    b.record_failure("system")
    assert b.state().state is CircuitState.CLOSED
    b.record_success()
    b.record_failure("transient")
    b.record_failure("transient")
    assert b.state().consecutive_failures == 2
    b.record_failure("transient")
    snap = b.state()
    assert snap.state is CircuitState.OPEN
    assert (snap.total_calls, snap.total_failures) == (11, 5)
    assert snap.last_error_category == "transient"


def test_failed_probe_reopens_with_growing_duration() -> None:
    clock = StepClock()
    b = make(
        Circuit(
            "x",
            failure_rate=None,
            consecutive_failures=1,
            open_duration=10,
            open_duration_growth=3,
            max_open_duration=60,
        ),
        clock,
    )
    b.record_failure()
    durations = []
    for _ in range(3):
        snap = b.state()
        durations.append((snap.next_probe_at - snap.opened_at).total_seconds())  # type: ignore[operator]
        clock.advance(durations[-1])
        assert b.before_call().probe
        b.record_failure("transient")
    assert durations == [10, 30, 60]
    assert b.state().trip_count == 4


def test_half_open_admits_exactly_the_probes_and_needs_all_to_succeed() -> None:
    clock = StepClock()
    b = make(
        Circuit("x", failure_rate=None, consecutive_failures=1, open_duration=1, half_open_probes=3), clock
    )
    b.record_failure()
    clock.advance(1)
    admitted = [b.admit().allowed for _ in range(5)]
    assert admitted == [True, True, True, False, False]
    b.record_success()
    b.record_success()
    assert b.state().state is CircuitState.HALF_OPEN
    b.record_success()
    assert b.state().state is CircuitState.CLOSED


def test_lost_probes_are_replaced_after_the_probe_deadline() -> None:
    clock = StepClock()
    b = make(Circuit("x", failure_rate=None, consecutive_failures=1, open_duration=5), clock)
    b.record_failure()
    clock.advance(5)
    assert b.admit().allowed
    assert not b.admit().allowed  # the probe is out, its worker died
    clock.advance(5)
    assert b.admit().probe  # a new round


def test_time_window_forgets_old_failures() -> None:
    clock = StepClock()
    b = make(Circuit("t", window_type="time", window=60, failure_rate=0.5, minimum_calls=3), clock)
    b.record_failure()
    b.record_failure()
    clock.advance(120)
    b.record_success()
    b.record_success()
    b.record_failure()  # only 1/3 inside the window
    assert b.state().state is CircuitState.CLOSED
    b.record_failure()  # 2/4
    assert b.state().state is CircuitState.OPEN


def test_metrics_only_records_but_never_trips() -> None:
    b = make(Circuit("m", mode="metrics_only", failure_rate=0.1, minimum_calls=1))
    for _ in range(50):
        b.record_failure("transient")
        assert b.before_call().allowed
    snap = b.state()
    assert snap.state is CircuitState.METRICS_ONLY and snap.total_failures == 50


def test_manual_actions_are_audited() -> None:
    storage = MemoryCircuitStorage()
    b = CircuitBreaker(Circuit("crm"), storage, clock=StepClock())
    b.force_open(actor="alice", note="maintenance")
    with pytest.raises(CircuitOpenError) as info:
        b.before_call()
    assert info.value.state == "forced_open" and info.value.next_probe_at is None
    assert "not before a manual close" in str(info.value)
    b.disable(actor="bob")
    for _ in range(30):
        b.record_failure("transient")
    assert b.before_call().allowed
    b.reset(actor="carol")
    assert b.state().state is CircuitState.CLOSED
    b.force_close(actor="dave")  # already closed: audited, no transition
    assert [a["action"] for a in storage.audit] == ["force_open", "disable", "reset", "force_close"]
    assert storage.audit[0] | {} == {
        "entity": "circuit",
        "entity_id": "crm",
        "action": "force_open",
        "actor": "alice",
        "before": "closed",
        "after": "forced_open",
        "note": "maintenance",
    }
    assert [(e.from_state, e.to_state, e.actor) for e in storage.events("crm")] == [
        ("disabled", "closed", "carol"),
        ("forced_open", "disabled", "bob"),
        ("closed", "forced_open", "alice"),
    ]


class BrokenStorage(MemoryCircuitStorage):
    def apply(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def,override]
        raise ErrorGuardStorageError("database is down", conn_id="errorguard_default", transient=True)

    def load(self, name: str):  # type: ignore[no-untyped-def]
        raise ErrorGuardStorageError("database is down", conn_id="errorguard_default", transient=True)


def test_storage_failure_fail_open_and_fail_closed(caplog: pytest.LogCaptureFixture) -> None:
    clock = StepClock()
    config = Circuit("x", open_duration=7)
    open_breaker = CircuitBreaker(config, BrokenStorage(), clock=clock, on_storage_failure="allow")
    assert open_breaker.before_call().storage_unavailable
    assert open_breaker.record_failure("transient") is None  # logged, never raised
    assert "FAIL-OPEN" in caplog.text and "the outcome is lost" in caplog.text
    closed_breaker = CircuitBreaker(config, BrokenStorage(), clock=clock, on_storage_failure="reject")
    with pytest.raises(CircuitOpenError) as info:
        closed_breaker.before_call()
    assert info.value.state == "storage_unavailable"
    assert info.value.next_probe_at == clock.now + __import__("datetime").timedelta(seconds=7)
    assert "FAIL-CLOSED" in caplog.text
    with pytest.raises(ValueError, match="on_storage_failure"):
        CircuitBreaker(config, BrokenStorage(), on_storage_failure="maybe")


def test_listener_errors_never_escape(caplog: pytest.LogCaptureFixture) -> None:
    class Boom(CircuitListener):
        def on_transition(self, transition: Transition, context: CallContext) -> None:
            raise RuntimeError("listener bug")

    b = make(Circuit("x", failure_rate=None, consecutive_failures=1), listeners=[Boom()])
    b.record_failure()
    assert b.state().state is CircuitState.OPEN
    assert "listener" in caplog.text


def test_circuit_open_error_pickles() -> None:
    err = CircuitOpenError("crm", "open", None)
    again = pickle.loads(pickle.dumps(err))
    assert (again.name, again.state, again.next_probe_at) == ("crm", "open", None)
