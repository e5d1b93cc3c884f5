"""Circuits and incidents for the UI and the CLI: summaries and manual circuit control (no web code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_errorguard.breaker.breaker import CircuitBreaker
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.state import CircuitSnapshot
from airflow_errorguard.breaker.storage import CircuitEvent
from airflow_errorguard.breaker.window import totals
from airflow_errorguard.storage.circuits import SqlCircuitStorage

#: Manual circuit actions (all audited by the circuit storage).
CIRCUIT_ACTIONS = ("force_open", "force_close", "reset", "disable")


@dataclass(frozen=True)
class CircuitView:
    """One circuit: stored state, its configuration and the counters of its current window."""

    snapshot: CircuitSnapshot
    config: Circuit
    window_calls: int
    window_failures: int

    @property
    def name(self) -> str:
        return self.snapshot.name

    def as_dict(self) -> dict[str, Any]:
        snap = self.snapshot
        return {
            "name": snap.name,
            "state": snap.state.value,
            "window_calls": self.window_calls,
            "window_failures": self.window_failures,
            "consecutive_failures": snap.consecutive_failures,
            "trip_count": snap.trip_count,
            "opened_at": _iso(snap.opened_at),
            "next_probe_at": _iso(snap.next_probe_at),
            "total_calls": snap.total_calls,
            "total_failures": snap.total_failures,
            "total_rejected": snap.total_rejected,
            "last_error_type": snap.last_error_type,
            "last_error_message": snap.last_error_message,
            "last_fingerprint": snap.last_fingerprint,
            "updated_at": _iso(snap.updated_at),
            "config": self.config.to_dict(),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def circuit_config(storage: SqlCircuitStorage, name: str) -> Circuit:
    """The configuration last saved with the circuit, else the defaults."""
    return _config(name, storage.config_of(name))


def _config(name: str, saved: dict[str, Any] | None) -> Circuit:
    if saved:
        try:
            return Circuit(**saved)
        except (TypeError, ValueError):
            pass
    return Circuit(name=name)


def circuit_view(storage: SqlCircuitStorage, name: str) -> CircuitView | None:
    """One circuit, or ``None`` when it was never used."""
    snap = storage.load(name)
    if snap is None:
        return None
    return _view(snap, circuit_config(storage, name))


def _view(snap: CircuitSnapshot, config: Circuit) -> CircuitView:
    calls, failures = totals(config, snap.window)
    return CircuitView(snapshot=snap, config=config, window_calls=calls, window_failures=failures)


def circuit_views(storage: SqlCircuitStorage) -> list[CircuitView]:
    """Every circuit, by name (one query)."""
    return [_view(snap, _config(snap.name, saved)) for snap, saved in storage.load_all()]


def circuit_events(storage: SqlCircuitStorage, name: str, limit: int = 50) -> list[CircuitEvent]:
    return storage.events(name, limit=limit)


def control(
    storage: SqlCircuitStorage, name: str, action: str, *, actor: str, note: str | None = None
) -> CircuitSnapshot:
    """Force open / force close / reset / disable *name* (writes a transition and an audit row)."""
    if action not in CIRCUIT_ACTIONS:
        raise ValueError(f"unknown circuit action {action!r}; expected one of {', '.join(CIRCUIT_ACTIONS)}")
    if storage.load(name) is None:
        raise LookupError(f"no circuit named {name!r}")
    breaker = CircuitBreaker(circuit_config(storage, name), storage, on_storage_failure="reject")
    result: CircuitSnapshot = getattr(breaker, action)(actor=actor, note=note)
    return result
