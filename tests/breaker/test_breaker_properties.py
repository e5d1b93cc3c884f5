"""Property tests: any sequence of calls, outcomes, clock steps and manual actions keeps the invariants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_errorguard.breaker import machine
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.state import CircuitSnapshot, CircuitState, Transition
from tests.breaker.helpers_breaker import StepClock

pytestmark = pytest.mark.unit


@st.composite
def configs(draw: st.DrawFn) -> Circuit:
    rate = draw(st.one_of(st.none(), st.floats(0.05, 1.0)))
    consecutive = draw(st.one_of(st.none(), st.integers(1, 6)))
    return Circuit(
        "p",
        failure_rate=rate,
        window=draw(st.integers(1, 12)),
        window_type=draw(st.sampled_from(["count", "time"])),
        minimum_calls=draw(st.integers(1, 8)),
        consecutive_failures=consecutive if rate is not None or consecutive else 3,
        open_duration=draw(st.integers(1, 30)),
        open_duration_growth=draw(st.sampled_from([1.0, 1.5, 2.0])),
        max_open_duration=90,
        half_open_probes=draw(st.integers(1, 4)),
        mode=draw(st.sampled_from(["enforce", "enforce", "enforce", "metrics_only"])),
    )


CATEGORIES = ["transient", "system", "data", "configuration", "unknown", None]
operations = st.lists(
    st.one_of(
        st.tuples(st.just("admit"), st.none()),
        st.tuples(st.just("success"), st.none()),
        st.tuples(st.just("failure"), st.sampled_from(CATEGORIES)),
        st.tuples(st.just("tick"), st.floats(0, 40)),
        st.tuples(st.just("manual"), st.sampled_from(machine.MANUAL_ACTIONS)),
    ),
    max_size=120,
)


def check_invariants(config: Circuit, snap: CircuitSnapshot) -> None:
    assert 0 <= snap.half_open_successes <= snap.half_open_admitted <= config.half_open_probes
    assert snap.total_failures <= snap.total_calls
    assert snap.consecutive_failures >= 0 and snap.trip_count >= 0
    if config.window_type == "count":
        assert len(snap.window) <= config.window_size
    if snap.state is CircuitState.OPEN:
        assert snap.opened_at is not None and snap.next_probe_at is not None
        assert timedelta(0) < snap.next_probe_at - snap.opened_at <= timedelta(seconds=90)
        assert snap.trip_count >= 1
    if snap.state is CircuitState.CLOSED:
        assert snap.trip_count == 0 and snap.next_probe_at is None
    if snap.state is not CircuitState.HALF_OPEN:
        assert snap.half_open_admitted == 0


@settings(max_examples=300, deadline=None)
@given(config=configs(), ops=operations)
def test_any_sequence_keeps_the_invariants(config: Circuit, ops: list[tuple[str, object]]) -> None:
    clock = StepClock()
    snap = machine.new_snapshot(config)
    history: list[Transition] = []
    manual_since_reset = False
    for op, arg in ops:
        now = clock()
        state_before = snap.state
        if op == "admit":
            admission, transitions = machine.admit(config, snap, now)
            if state_before is CircuitState.OPEN and snap.state is CircuitState.OPEN:
                assert not admission.allowed  # never a call while open and not due
                assert snap.next_probe_at is not None and now < snap.next_probe_at
            if state_before is CircuitState.FORCED_OPEN:
                assert not admission.allowed
            if state_before in (CircuitState.CLOSED, CircuitState.DISABLED, CircuitState.METRICS_ONLY):
                assert admission.allowed and not transitions
        elif op == "success":
            transitions = machine.record(config, snap, failed=False, now=now)
            assert all(t.to_state is not CircuitState.OPEN for t in transitions)
        elif op == "failure":
            transitions = machine.record(config, snap, failed=True, now=now, category=arg)  # type: ignore[arg-type]
            if not config.counts(arg):  # type: ignore[arg-type]
                assert transitions == [] and snap.state is state_before
        elif op == "tick":
            clock.advance(float(arg))  # type: ignore[arg-type]
            transitions = []
        else:
            transitions = machine.manual(config, snap, str(arg), now, None)
            manual_since_reset = True
        for t in transitions:
            assert t.from_state is not t.to_state
            assert t.from_state is (history[-1].to_state if history else machine.initial_state(config))
        history.extend(transitions)
        if config.mode == "metrics_only" and not manual_since_reset:
            assert snap.state is CircuitState.METRICS_ONLY
        check_invariants(config, snap)
    # Automatic transitions only follow the documented edges.
    automatic = {(t.from_state.value, t.to_state.value) for t in history if not _is_manual(t)}
    assert automatic <= {
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("half_open", "closed"),
        ("half_open", "metrics_only"),
    }


def _is_manual(t: Transition) -> bool:
    return t.reason.split(":")[0] in {a.replace("_", " ") for a in machine.MANUAL_ACTIONS}
