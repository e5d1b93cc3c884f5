"""
Where circuits keep their shared state: the :class:`CircuitStorage` interface and an in-memory one.

A storage runs a state-machine step atomically: it loads the circuit's snapshot (creating it if
needed), applies the step, saves the snapshot with its transitions and returns the new snapshot.
The SQL storage (``airflow_errorguard.storage.circuits``) does this under a row lock so every
worker and DAG shares one state; :class:`MemoryCircuitStorage` does it under a thread lock.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.machine import new_snapshot
from airflow_errorguard.breaker.state import CallContext, CircuitSnapshot, Transition

T = TypeVar("T")
#: A state-machine step: mutates the snapshot, returns (result, transitions).
Step = Callable[[CircuitSnapshot], "tuple[T, list[Transition]]"]


@dataclass(frozen=True)
class CircuitEvent:
    """A stored transition with who caused it."""

    id: int
    circuit: str
    from_state: str
    to_state: str
    reason: str | None
    actor: str
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    map_index: int | None
    failure_rate: float | None
    calls_in_window: int | None
    next_probe_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ManualAction:
    """A manual change to audit: ``force_open``, ``force_close``, ``reset`` or ``disable``."""

    action: str
    actor: str
    note: str | None = None


class CircuitStorage(abc.ABC):
    """Shared circuit state."""

    @abc.abstractmethod
    def apply(
        self,
        config: Circuit,
        step: Callable[[CircuitSnapshot], tuple[T, list[Transition]]],
        *,
        context: CallContext,
        manual: ManualAction | None = None,
    ) -> tuple[T, CircuitSnapshot]:
        """Run *step* atomically on *config*'s circuit; returns its result and the new snapshot."""

    @abc.abstractmethod
    def load(self, name: str) -> CircuitSnapshot | None:
        """The circuit's snapshot, or ``None`` if it was never used (no lock)."""

    @abc.abstractmethod
    def add_rejected(self, name: str, count: int = 1) -> None:
        """Count rejected calls without locking the circuit (the fast reject path)."""

    @abc.abstractmethod
    def events(self, name: str, *, limit: int = 100) -> list[CircuitEvent]:
        """The circuit's transitions, newest first."""

    @abc.abstractmethod
    def names(self) -> list[str]:
        """Every known circuit, sorted."""

    def save_config(self, config: Circuit) -> None:  # noqa: B027 - optional override
        """Remember the configuration last used for the circuit (for the UI); no-op by default."""


class MemoryCircuitStorage(CircuitStorage):
    """Circuits in this process only (unit tests, single-process runs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[str, CircuitSnapshot] = {}
        self._events: list[CircuitEvent] = []
        self.audit: list[dict[str, Any]] = []
        self.configs: dict[str, dict[str, Any]] = {}

    def apply(
        self,
        config: Circuit,
        step: Callable[[CircuitSnapshot], tuple[T, list[Transition]]],
        *,
        context: CallContext,
        manual: ManualAction | None = None,
    ) -> tuple[T, CircuitSnapshot]:
        with self._lock:
            current = self._snapshots.get(config.name) or new_snapshot(config)
            before = current.copy()
            working = current.copy()
            result, transitions = step(working)
            if working != before or manual is not None:
                working.version = before.version + 1
                working.updated_at = transitions[-1].at if transitions else working.updated_at
                self._snapshots[config.name] = working
            for t in transitions:
                self._events.append(
                    CircuitEvent(
                        id=len(self._events) + 1,
                        circuit=t.circuit,
                        from_state=t.from_state.value,
                        to_state=t.to_state.value,
                        reason=t.reason,
                        actor=context.actor if manual is None else manual.actor,
                        dag_id=context.dag_id,
                        task_id=context.task_id,
                        run_id=context.run_id,
                        map_index=context.map_index,
                        failure_rate=t.failure_rate,
                        calls_in_window=t.calls_in_window,
                        next_probe_at=t.next_probe_at,
                        created_at=t.at,
                    )
                )
            if manual is not None:
                self.audit.append(
                    {
                        "entity": "circuit",
                        "entity_id": config.name,
                        "action": manual.action,
                        "actor": manual.actor,
                        "before": before.state.value,
                        "after": working.state.value,
                        "note": manual.note,
                    }
                )
            return result, working.copy()

    def load(self, name: str) -> CircuitSnapshot | None:
        with self._lock:
            found = self._snapshots.get(name)
            return None if found is None else found.copy()

    def add_rejected(self, name: str, count: int = 1) -> None:
        with self._lock:
            if name in self._snapshots:
                self._snapshots[name].total_rejected += count

    def events(self, name: str, *, limit: int = 100) -> list[CircuitEvent]:
        with self._lock:
            return [e for e in reversed(self._events) if e.circuit == name][:limit]

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._snapshots)

    def save_config(self, config: Circuit) -> None:
        self.configs[config.name] = config.to_dict()
