"""
The state machine: pure functions that move a :class:`CircuitSnapshot` on, given a config and a time.

Each function mutates the snapshot it is given and returns the transitions it made; storages run
them under a lock (or a row lock) so every process sees one consistent sequence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow_errorguard.breaker import window as w
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.state import PASSING, Admission, CircuitSnapshot, CircuitState, Transition

MANUAL_ACTIONS = ("force_open", "force_close", "reset", "disable")


def initial_state(config: Circuit) -> CircuitState:
    """The state a new (or reset) circuit starts in."""
    return CircuitState.METRICS_ONLY if config.mode == "metrics_only" else CircuitState.CLOSED


def new_snapshot(config: Circuit) -> CircuitSnapshot:
    """The shared state of a circuit nobody has used yet."""
    return CircuitSnapshot(name=config.name, state=initial_state(config))


def _move(snap: CircuitSnapshot, to: CircuitState, reason: str, now: datetime, config: Circuit) -> Transition:
    calls, failures = w.totals(config, snap.window)
    transition = Transition(
        circuit=snap.name,
        from_state=snap.state,
        to_state=to,
        reason=reason,
        at=now,
        failure_rate=(failures / calls) if calls else None,
        calls_in_window=calls,
        next_probe_at=None,
    )
    snap.state = to
    return transition


def _clear(snap: CircuitSnapshot) -> None:
    snap.window = []
    snap.consecutive_failures = 0
    snap.half_open_admitted = 0
    snap.half_open_successes = 0


def _open(snap: CircuitSnapshot, config: Circuit, reason: str, now: datetime) -> Transition:
    transition = _move(snap, CircuitState.OPEN, reason, now, config)
    snap.trip_count += 1
    snap.opened_at = now
    snap.next_probe_at = now + timedelta(seconds=config.open_seconds(snap.trip_count))
    _clear(snap)
    return _with_probe(transition, snap.next_probe_at)


def _with_probe(transition: Transition, at: datetime | None) -> Transition:
    return Transition(**{**transition.__dict__, "next_probe_at": at})


def _close(
    snap: CircuitSnapshot, config: Circuit, to: CircuitState, reason: str, now: datetime
) -> Transition:
    transition = _move(snap, to, reason, now, config)
    snap.trip_count = 0
    snap.opened_at = None
    snap.next_probe_at = None
    _clear(snap)
    return transition


def peek(config: Circuit, snap: CircuitSnapshot, now: datetime) -> Admission:
    """Whether a call would be let through at *now*, without taking a probe slot or counting."""
    state = snap.state
    if state in PASSING:
        return Admission(True, state)
    if state is CircuitState.FORCED_OPEN:
        return Admission(False, state)
    due = snap.next_probe_at is None or now >= snap.next_probe_at
    if state is CircuitState.OPEN:
        return Admission(due, state, snap.next_probe_at, probe=due)
    free = due or snap.half_open_admitted < config.half_open_probes
    return Admission(free, state, snap.next_probe_at, probe=free)


def admit(config: Circuit, snap: CircuitSnapshot, now: datetime) -> tuple[Admission, list[Transition]]:
    """Let a call through or reject it (counting the rejection); open circuits move to half-open when due."""
    transitions: list[Transition] = []
    if snap.state in PASSING:
        return Admission(True, snap.state), transitions
    if snap.state is CircuitState.FORCED_OPEN:
        snap.total_rejected += 1
        return Admission(False, snap.state), transitions
    probe_deadline = now + timedelta(seconds=config.open_seconds(max(snap.trip_count, 1)))
    if snap.state is CircuitState.OPEN:
        if snap.next_probe_at is not None and now < snap.next_probe_at:
            snap.total_rejected += 1
            return Admission(False, snap.state, snap.next_probe_at), transitions
        transitions.append(
            _with_probe(
                _move(snap, CircuitState.HALF_OPEN, "open duration elapsed", now, config), probe_deadline
            )
        )
        snap.half_open_admitted = snap.half_open_successes = 0
        snap.next_probe_at = probe_deadline
    elif snap.next_probe_at is None or now >= snap.next_probe_at:
        # The probes let through earlier never reported back (worker lost): start a new round.
        snap.half_open_admitted = snap.half_open_successes = 0
        snap.next_probe_at = probe_deadline
    if snap.half_open_admitted < config.half_open_probes:
        snap.half_open_admitted += 1
        return Admission(True, snap.state, snap.next_probe_at, probe=True), transitions
    snap.total_rejected += 1
    return Admission(False, snap.state, snap.next_probe_at), transitions


def record(
    config: Circuit,
    snap: CircuitSnapshot,
    *,
    failed: bool,
    now: datetime,
    category: str | None = None,
    error_type: str | None = None,
    error_message: str | None = None,
    fingerprint: str | None = None,
) -> list[Transition]:
    """Record one call's outcome; failures of categories the circuit does not count are ignored."""
    snap.total_calls += 1
    if failed:
        snap.last_error_category = category
        snap.last_error_type = error_type
        snap.last_error_message = error_message
        snap.last_fingerprint = fingerprint
        if not config.counts(category):
            return []
        snap.total_failures += 1
    state = snap.state
    if state is CircuitState.HALF_OPEN:
        if failed:
            return [_open(snap, config, "a half-open probe failed", now)]
        if snap.half_open_successes < snap.half_open_admitted:
            snap.half_open_successes += 1
        if snap.half_open_successes >= config.half_open_probes:
            reason = f"{snap.half_open_successes} half-open probe(s) succeeded"
            return [_close(snap, config, initial_state(config), reason, now)]
        return []
    if state not in (CircuitState.CLOSED, CircuitState.METRICS_ONLY):
        return []  # open, forced open, disabled: outcomes only feed the lifetime counters
    snap.window = w.add(config, w.prune(config, snap.window, now), failed=failed, now=now)
    snap.consecutive_failures = snap.consecutive_failures + 1 if failed else 0
    if not failed or state is not CircuitState.CLOSED or config.mode != "enforce":
        return []
    calls, failures = w.totals(config, snap.window)
    limit = config.consecutive_failures
    if limit is not None and snap.consecutive_failures >= limit:
        return [_open(snap, config, f"{snap.consecutive_failures} consecutive failures", now)]
    if config.failure_rate is not None and calls >= config.minimum_calls:
        rate = failures / calls
        if rate >= config.failure_rate:
            return [_open(snap, config, f"failure rate {rate:.0%} of {calls} calls", now)]
    return []


def manual(
    config: Circuit, snap: CircuitSnapshot, action: str, now: datetime, note: str | None
) -> list[Transition]:
    """Apply a manual action (``force_open``, ``force_close``, ``reset``, ``disable``)."""
    reason = action.replace("_", " ") + (f": {note}" if note else "")
    before = snap.state
    if action == "force_open":
        target = CircuitState.FORCED_OPEN
    elif action == "disable":
        target = CircuitState.DISABLED
    elif action == "force_close":
        target = CircuitState.CLOSED
    elif action == "reset":
        target = initial_state(config)
    else:
        raise ValueError(
            f"circuit {snap.name!r}: unknown action {action!r}; expected one of {MANUAL_ACTIONS}"
        )
    if target in (CircuitState.FORCED_OPEN, CircuitState.DISABLED):
        transition = _move(snap, target, reason, now, config)
        snap.opened_at = now if target is CircuitState.FORCED_OPEN else None
        snap.next_probe_at = None
        _clear(snap)
    else:
        transition = _close(snap, config, target, reason, now)
    return [transition] if before is not target else []
