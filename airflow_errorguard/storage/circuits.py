"""
Circuit repository: circuit breaker state shared by every worker and DAG, with atomic transitions.

:meth:`SqlCircuitStorage.apply` locks the circuit's row for the whole state-machine step
(``SELECT ... FOR UPDATE`` on PostgreSQL and MySQL; SQLite write transactions are
``BEGIN IMMEDIATE``, which serialises writers), so exactly one process makes each transition.
Transitions are stored in ``errorguard_circuit_event``; manual actions also write an
``errorguard_audit`` row in the same transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.machine import new_snapshot
from airflow_errorguard.breaker.state import CallContext, CircuitSnapshot, CircuitState, Transition
from airflow_errorguard.breaker.storage import CircuitEvent, CircuitStorage, ManualAction
from airflow_errorguard.exceptions import ErrorGuardStorageError
from airflow_errorguard.storage.audit import audit_row, insert_audit_rows
from airflow_errorguard.storage.circuit_events import event_of, newest, newest_statements
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.payload import clean_text
from airflow_errorguard.storage.tables.circuit import circuit_event_table as ev
from airflow_errorguard.storage.tables.circuit import circuit_table as c
from airflow_errorguard.storage.upsert import insert_ignoring_duplicates

T = TypeVar("T")
_SNAPSHOT_FIELDS = (
    "consecutive_failures",
    "opened_at",
    "next_probe_at",
    "trip_count",
    "half_open_admitted",
    "half_open_successes",
    "total_calls",
    "total_failures",
    "total_rejected",
    "last_error_category",
    "last_error_type",
    "last_error_message",
    "last_fingerprint",
    "version",
    "updated_at",
)


def _snapshot(m: Any) -> CircuitSnapshot:
    return CircuitSnapshot(
        name=m["name"],
        state=CircuitState(m["state"]),
        window=json.loads(m["window_state"]) if m["window_state"] else [],
        **{f: m[f] for f in _SNAPSHOT_FIELDS},
    )


def _values(snap: CircuitSnapshot) -> dict[str, Any]:
    values = {f: getattr(snap, f) for f in _SNAPSHOT_FIELDS}
    values["state"] = snap.state.value
    values["window_state"] = json.dumps(snap.window, separators=(",", ":"))
    values["last_error_category"] = clean_text(snap.last_error_category, 32)
    values["last_error_type"] = clean_text(snap.last_error_type, 250)
    values["last_error_message"] = clean_text(snap.last_error_message, 4000)
    values["last_fingerprint"] = clean_text(snap.last_fingerprint, 64)
    return values


class SqlCircuitStorage(CircuitStorage):
    """
    The ``errorguard_circuit`` and ``errorguard_circuit_event`` tables.

    :param tx: A :class:`~airflow_errorguard.storage.database.Database` (or unit of work).
    :param attempts: How often a step is tried when the database reports a transient failure
        (deadlock, lock timeout, lost connection).
    """

    def __init__(self, tx: Transactional, *, attempts: int = 3) -> None:
        self._tx = tx
        self._attempts = max(attempts, 1)

    def apply(
        self,
        config: Circuit,
        step: Callable[[CircuitSnapshot], tuple[T, list[Transition]]],
        *,
        context: CallContext,
        manual: ManualAction | None = None,
    ) -> tuple[T, CircuitSnapshot]:
        for attempt in range(1, self._attempts + 1):
            try:
                return self._apply_once(config, step, context, manual)
            except ErrorGuardStorageError as err:
                if not err.transient or attempt == self._attempts:
                    raise
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _locked(self, conn: Connection, config: Circuit) -> CircuitSnapshot:
        stmt = select(c).where(c.c.name == config.name).with_for_update()
        found = conn.execute(stmt).mappings().first()
        if found is not None:
            return _snapshot(found)
        now = self._tx.clock()
        fresh = new_snapshot(config)
        values = _values(fresh) | {
            "name": config.name,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "config": json.dumps(config.to_dict()),
        }
        conn.execute(insert_ignoring_duplicates(c, conn.dialect.name), values)
        return _snapshot(conn.execute(stmt).mappings().one())

    def _apply_once(
        self,
        config: Circuit,
        step: Callable[[CircuitSnapshot], tuple[T, list[Transition]]],
        context: CallContext,
        manual: ManualAction | None,
    ) -> tuple[T, CircuitSnapshot]:
        with self._tx.transaction(f"updating circuit {config.name!r}") as conn:
            snap = self._locked(conn, config)
            before = snap.copy()
            result, transitions = step(snap)
            if snap != before or manual is not None:
                now = self._tx.clock()
                snap.version = before.version + 1
                snap.updated_at = now
                done = conn.execute(
                    update(c)
                    .where(c.c.name == config.name, c.c.version == before.version)
                    .values(**_values(snap)),
                ).rowcount
                if done != 1:  # pragma: no cover - the row lock makes this impossible
                    raise ErrorGuardStorageError(
                        f"circuit {config.name!r} changed under its row lock", conn_id=self._tx.conn_id
                    )
            actor = manual.actor if manual is not None else context.actor
            if transitions:
                conn.execute(
                    ev.insert(),
                    [
                        {
                            "circuit_name": t.circuit,
                            "from_state": t.from_state.value,
                            "to_state": t.to_state.value,
                            "reason": clean_text(t.reason, 4000),
                            "actor": clean_text(actor, 250) or "errorguard",
                            "dag_id": context.dag_id,
                            "task_id": context.task_id,
                            "run_id": context.run_id,
                            "map_index": context.map_index,
                            "failure_rate": t.failure_rate,
                            "calls_in_window": t.calls_in_window,
                            "next_probe_at": t.next_probe_at,
                            "created_at": t.at,
                        }
                        for t in transitions
                    ],
                )
            if manual is not None:
                insert_audit_rows(
                    conn,
                    [
                        audit_row(
                            entity="circuit",
                            entity_id=config.name,
                            action=manual.action,
                            actor=manual.actor,
                            at=self._tx.clock(),
                            before={"state": before.state.value, "trip_count": before.trip_count},
                            after={"state": snap.state.value, "trip_count": snap.trip_count},
                            note=manual.note,
                        )
                    ],
                )
        return result, snap

    def load(self, name: str) -> CircuitSnapshot | None:
        with self._tx.transaction(f"reading circuit {name!r}", write=False) as conn:
            found = conn.execute(select(c).where(c.c.name == name)).mappings().first()
        return None if found is None else _snapshot(found)

    def add_rejected(self, name: str, count: int = 1) -> None:
        with self._tx.transaction(f"counting calls rejected by circuit {name!r}") as conn:
            conn.execute(update(c).where(c.c.name == name).values(total_rejected=c.c.total_rejected + count))

    def events(self, name: str, *, limit: int = 100) -> list[CircuitEvent]:
        stmt = newest(name, limit)
        with self._tx.transaction(f"reading events of circuit {name!r}", write=False) as conn:
            return [event_of(m) for m in conn.execute(stmt).mappings()]

    def load_all(self) -> list[tuple[CircuitSnapshot, dict[str, Any] | None]]:
        """Every circuit by name with its saved configuration (JSON-decoded or ``None``), in one query."""
        with self._tx.transaction("reading every circuit", write=False) as conn:
            rows = conn.execute(select(c).order_by(c.c.name)).mappings().all()
        return [(_snapshot(m), json.loads(m["config"]) if m["config"] else None) for m in rows]

    def events_of(self, names: list[str], *, limit: int = 100) -> dict[str, list[CircuitEvent]]:
        """
        The newest *limit* transitions of each of *names*, newest first: one indexed lookup each,
        one round trip per statement (not one per circuit; :func:`newest_statements`), in one
        transaction.
        """
        found: dict[str, list[CircuitEvent]] = {name: [] for name in names}
        with self._tx.transaction("reading events of circuits", write=False) as conn:
            for stmt, params in newest_statements(conn.dialect.name, names, limit):
                # Plain rows (no mapping per row): the columns are in CircuitEvent's field order.
                for row in conn.execute(stmt, params).all():  # one fetch, not one per row
                    found[row[1]].append(CircuitEvent(*row))
        for events in found.values():
            events.sort(key=lambda e: e.id, reverse=True)
        return found

    def names(self) -> list[str]:
        with self._tx.transaction("listing circuits", write=False) as conn:
            return list(conn.execute(select(c.c.name).order_by(c.c.name)).scalars())

    def save_config(self, config: Circuit) -> None:
        with self._tx.transaction(f"saving the configuration of circuit {config.name!r}") as conn:
            conn.execute(update(c).where(c.c.name == config.name).values(config=json.dumps(config.to_dict())))

    def config_of(self, name: str) -> dict[str, Any] | None:
        """The configuration last saved for *name* (JSON-decoded), or ``None``."""
        with self._tx.transaction(f"reading circuit {name!r}", write=False) as conn:
            raw = conn.execute(select(c.c.config).where(c.c.name == name)).scalar_one_or_none()
        return None if raw is None else json.loads(raw)
