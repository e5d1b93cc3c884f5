"""A circuit's state over time (bands between transitions, trips marked), for the pictures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from airflow_errorguard.breaker.storage import CircuitEvent

#: Transitions that trip a circuit (automatic openings; forced ones are manual actions).
TRIP_STATES = frozenset({"open"})


@dataclass(frozen=True)
class Band:
    """The circuit was in *state* from *start* to *end*."""

    state: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Timeline:
    """Bands covering ``[start, end]`` and the moments the circuit tripped (closed/half-open -> open)."""

    start: datetime
    end: datetime
    bands: list[Band]
    trips: list[datetime]
    manual: list[datetime]


def circuit_timeline(
    events: Sequence[CircuitEvent], current_state: str, start: datetime, end: datetime
) -> Timeline:
    """
    The timeline of one circuit over ``[start, end]`` from its transitions (any order): the state
    before the first transition in the window is that transition's ``from_state``, else the
    current state.
    """
    inside = sorted(
        (ev for ev in events if start <= ev.created_at <= end), key=lambda ev: (ev.created_at, ev.id)
    )
    state = inside[0].from_state if inside else current_state
    bands: list[Band] = []
    trips: list[datetime] = []
    manual: list[datetime] = []
    at = start
    for ev in inside:
        if ev.created_at > at:
            bands.append(Band(state, at, ev.created_at))
        at = max(at, ev.created_at)
        state = ev.to_state
        if ev.to_state in TRIP_STATES and ev.from_state != ev.to_state:
            trips.append(ev.created_at)
        if ev.dag_id is None and ev.actor not in ("errorguard", ""):
            manual.append(ev.created_at)
    if end > at or not bands:
        bands.append(Band(state, at, end))
    return Timeline(start=start, end=end, bands=bands, trips=trips, manual=manual)


def last_change(events: Sequence[CircuitEvent], to_state: str | None = None) -> CircuitEvent | None:
    """The newest transition (into *to_state* when given)."""
    matching = [ev for ev in events if to_state is None or ev.to_state == to_state]
    return max(matching, key=lambda ev: (ev.created_at, ev.id), default=None)
