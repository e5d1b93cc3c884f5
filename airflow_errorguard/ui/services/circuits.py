"""Circuits as the pages show them: state, what it means now, and the state timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup

from airflow_errorguard.breaker.storage import CircuitEvent
from airflow_errorguard.manage import circuits as ops
from airflow_errorguard.manage.timelines import circuit_timeline, last_change
from airflow_errorguard.ui import charts
from airflow_errorguard.ui.hook import get_hook

#: How far back the circuit pictures look.
LIST_SPAN = timedelta(hours=24)
DETAIL_SPAN = timedelta(days=7)


@dataclass(frozen=True)
class CircuitPage:
    """One circuit with the words and picture the pages show."""

    view: ops.CircuitView
    events: list[CircuitEvent]
    opened: str
    next_probe: str
    last_error: str | None
    last_error_stale: bool
    timeline: Markup


def _describe(view: ops.CircuitView, events: list[CircuitEvent]) -> tuple[str, str]:
    snap, state = view.snapshot, view.snapshot.state.value

    def fmt(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""

    if state in ("open", "half_open"):
        opened = fmt(snap.opened_at) or "unknown"
        probe = fmt(snap.next_probe_at) if state == "open" else "now: probe calls are going through"
        return opened, probe or "when the open duration has passed"
    if state == "forced_open":
        return fmt(snap.opened_at) or "by hand", "none: forced open, held until someone closes or resets it"
    last_open = last_change(events, "open")
    opened = f"last opened {fmt(last_open.created_at)}" if last_open else "never opened"
    if state == "disabled":
        return opened, "none: disabled, every call goes through"
    return opened, "none needed: closed, calls go through"


def page(name: str, *, now: datetime, span: timedelta, events_limit: int = 200) -> CircuitPage | None:
    storage = get_hook().circuits
    view = ops.circuit_view(storage, name)
    if view is None:
        return None
    events = ops.circuit_events(storage, name, limit=events_limit)
    return _page(view, events, now=now, span=span, axis=span > LIST_SPAN)


def _page(
    view: ops.CircuitView, events: list[CircuitEvent], *, now: datetime, span: timedelta, axis: bool
) -> CircuitPage:
    snap = view.snapshot
    opened, probe = _describe(view, events)
    error = None
    if snap.last_error_type or snap.last_error_message:
        message = f": {snap.last_error_message}" if snap.last_error_message else ""
        error = (snap.last_error_type or "") + message
    stale = snap.state.value in ("closed", "disabled")
    timeline = circuit_timeline(events, snap.state.value, now - span, now)
    label = f"Circuit {view.name}: state over the last {_span(span)}"
    size = {"width": 720, "height": 44} if axis else {"width": 240, "height": 18}
    picture = charts.state_timeline(timeline, label, axis=axis, **size)
    return CircuitPage(view, events, opened, probe, error, stale, picture)


def pages(*, now: datetime) -> list[CircuitPage]:
    """Every circuit, by name, with a 24-hour timeline."""
    storage = get_hook().circuits
    views = ops.circuit_views(storage)
    events = storage.events_of([v.name for v in views], limit=100)
    return [_page(v, events[v.name], now=now, span=LIST_SPAN, axis=False) for v in views]


def _span(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours <= 48 else f"{hours / 24:.0f} days"
