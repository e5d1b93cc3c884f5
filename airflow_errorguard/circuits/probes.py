"""
Probe slots held by a running task, so the same circuit is re-entrant within one task.

A half-open circuit lets ``half_open_probes`` calls through. When a task's outer guard
(``GuardedOperator(circuit=X)``, ``@task.guarded(circuit=X)`` or an outer ``circuit_guard(X)``)
holds a probe slot, an inner ``circuit_guard(X)`` of the same task instance **joins** that probe:
it takes no slot of its own (it would be rejected: the task would wait for itself) and records no
outcome of its own (the probe's outcome is the outer guard's). Only guards inside a task join;
the registry is per process (one task instance runs per task process).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from airflow_errorguard.breaker.breaker import CircuitBreaker
from airflow_errorguard.breaker.state import CallContext

_held: Counter[tuple[str, CallContext]] = Counter()
_lock = threading.Lock()


def _key(breaker: CircuitBreaker) -> tuple[str, CallContext] | None:
    context = breaker.context
    if context.dag_id is None or context.task_id is None or context.run_id is None:
        return None  # not inside a task: nothing to join
    return breaker.name, context


def hold(breaker: CircuitBreaker) -> None:
    """The task instance behind *breaker* holds a probe slot of its circuit."""
    key = _key(breaker)
    if key is not None:
        with _lock:
            _held[key] += 1


def release(breaker: CircuitBreaker) -> None:
    """The probe slot taken with :func:`hold` is given back (its outcome recorded)."""
    key = _key(breaker)
    if key is not None:
        with _lock:
            _held[key] -= 1
            if _held[key] <= 0:
                del _held[key]


def held(breaker: CircuitBreaker) -> bool:
    """Whether the task instance behind *breaker* already holds a probe slot of its circuit."""
    key = _key(breaker)
    if key is None:
        return False
    with _lock:
        return _held[key] > 0


@contextmanager
def holding(breaker: CircuitBreaker, probe: bool) -> Iterator[None]:
    """Hold the probe slot (when *probe*) for the duration of the block."""
    if not probe:
        yield
        return
    hold(breaker)
    try:
        yield
    finally:
        release(breaker)
