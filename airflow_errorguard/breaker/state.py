"""Circuit states, the shared state record (:class:`CircuitSnapshot`) and its transitions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any


class CircuitState(str, Enum):
    """Where a circuit is."""

    CLOSED = "closed"
    """Calls go through; outcomes are recorded and may trip the circuit."""
    OPEN = "open"
    """Calls are rejected until ``next_probe_at``."""
    HALF_OPEN = "half_open"
    """A limited number of probe calls go through; their outcomes close or re-open the circuit."""
    FORCED_OPEN = "forced_open"
    """Opened by hand: every call is rejected until someone closes or resets it."""
    DISABLED = "disabled"
    """Switched off by hand: every call goes through, nothing trips."""
    METRICS_ONLY = "metrics_only"
    """Outcomes are recorded (window, counters) but the circuit never trips."""

    def __str__(self) -> str:
        return self.value


#: States in which a circuit rejects calls (failures behind it belong to the circuit's incident).
REJECTING = frozenset({CircuitState.OPEN, CircuitState.FORCED_OPEN, CircuitState.HALF_OPEN})
#: States in which a call is let through without asking anything else.
PASSING = frozenset({CircuitState.CLOSED, CircuitState.DISABLED, CircuitState.METRICS_ONLY})


@dataclass
class CircuitSnapshot:
    """
    Everything shared about one circuit (one ``errorguard_circuit`` row).

    ``window`` is the sliding window: a list of ``0``/``1`` (1 = failure) for a count window, or
    ``[bucket_start_epoch_seconds, calls, failures]`` triples for a time window.
    """

    name: str
    state: CircuitState = CircuitState.CLOSED
    window: list[Any] = field(default_factory=list)
    consecutive_failures: int = 0
    opened_at: datetime | None = None
    next_probe_at: datetime | None = None
    trip_count: int = 0
    half_open_admitted: int = 0
    half_open_successes: int = 0
    total_calls: int = 0
    total_failures: int = 0
    total_rejected: int = 0
    last_error_category: str | None = None
    last_error_type: str | None = None
    last_error_message: str | None = None
    last_fingerprint: str | None = None
    version: int = 0
    updated_at: datetime | None = None

    def copy(self) -> CircuitSnapshot:
        """A deep-enough copy (the window list is copied)."""
        return replace(self, window=[list(w) if isinstance(w, list) else w for w in self.window])


@dataclass(frozen=True)
class Transition:
    """One state change and why it happened."""

    circuit: str
    from_state: CircuitState
    to_state: CircuitState
    reason: str
    at: datetime
    failure_rate: float | None = None
    calls_in_window: int | None = None
    next_probe_at: datetime | None = None


@dataclass(frozen=True)
class CallContext:
    """Who is calling: recorded with transitions (task identity) and manual actions (actor)."""

    actor: str = "errorguard"
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None


@dataclass(frozen=True)
class Admission:
    """The answer to "may I call the dependency now?"."""

    allowed: bool
    state: CircuitState
    next_probe_at: datetime | None = None
    probe: bool = False
    """The call is a half-open probe: its outcome decides whether the circuit closes."""
    storage_unavailable: bool = False
    """The storage failed; the answer comes from ``circuit_storage_failure``."""
