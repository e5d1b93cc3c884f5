"""Error event repository: one row per classified failure, queried by fingerprint and time window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, delete, func, select, update

from airflow_errorguard.storage import rollup
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.payload import clean_text
from airflow_errorguard.storage.quarantine_types import MESSAGE_LIMIT, REASON_LIMIT, error_message
from airflow_errorguard.storage.tables.error_event import error_event_table as e

if TYPE_CHECKING:
    from airflow_errorguard.classification.model import Classification


@dataclass(frozen=True)
class ErrorEvent:
    """A classified failure and the decision taken (``retry``, ``fail``, ``default``, ``quarantine``...)."""

    identity: TaskIdentity
    error_category: str
    action: str
    decision: str | None = None
    delay_seconds: float | None = None
    fingerprint: str | None = None
    exception_type: str | None = None
    exception_message: str | None = None
    reason: str | None = None
    rule: str | None = None
    confidence: float | None = None
    max_tries: int | None = None

    @classmethod
    def from_classification(
        cls,
        identity: TaskIdentity,
        classification: Classification,
        *,
        error: BaseException | None = None,
        decision: str | None = None,
        delay: timedelta | None = None,
        max_tries: int | None = None,
    ) -> ErrorEvent:
        """The event for *classification* of *error* in *identity*'s try."""
        message = error_message(error) if error is not None else None
        return cls(
            identity=identity,
            error_category=str(classification.category),
            action=str(classification.action),
            decision=decision,
            delay_seconds=delay.total_seconds() if delay is not None else None,
            fingerprint=classification.fingerprint,
            exception_type=classification.exception_type or None,
            exception_message=message,
            reason=classification.reason,
            rule=classification.rule,
            confidence=classification.confidence,
            max_tries=max_tries,
        )

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            **self.identity.as_columns(),
            "max_tries": self.max_tries,
            "error_category": clean_text(self.error_category, 32) or "unknown",
            "action": clean_text(self.action, 32) or "unknown",
            "decision": clean_text(self.decision, 32),
            "delay_seconds": self.delay_seconds,
            "fingerprint": clean_text(self.fingerprint, 64),
            "exception_type": clean_text(self.exception_type, 250),
            "exception_message": clean_text(self.exception_message, MESSAGE_LIMIT),
            "reason": clean_text(self.reason, REASON_LIMIT),
            "rule": clean_text(self.rule, 250),
            "confidence": self.confidence,
            "created_at": now,
            "outcome": None,
            "outcome_at": None,
        }


@dataclass(frozen=True)
class ErrorEventRow:
    """One stored error event."""

    id: int
    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int
    max_tries: int | None
    error_category: str
    action: str
    decision: str | None
    delay_seconds: float | None
    fingerprint: str | None
    exception_type: str | None
    exception_message: str | None
    reason: str | None
    rule: str | None
    confidence: float | None
    created_at: datetime
    outcome: str | None
    outcome_at: datetime | None


_ROW_FIELDS = [f.name for f in fields(ErrorEventRow)]


@dataclass(frozen=True)
class FingerprintCount:
    """How often one fingerprint occurred in a window."""

    fingerprint: str
    count: int
    last_seen: datetime


def _window(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    clauses = []
    if since is not None:
        clauses.append(e.c.created_at >= since)
    if until is not None:
        clauses.append(e.c.created_at < until)
    return clauses


class ErrorEventRepository:
    """The ``errorguard_error_event`` table."""

    def __init__(self, tx: Transactional) -> None:
        self._tx = tx

    def append(self, event: ErrorEvent) -> int:
        """Store *event*; returns its id."""
        with self._tx.transaction(f"recording an error event of {event.identity.dag_id}") as conn:
            key = conn.execute(e.insert().values(**event.row(self._tx.clock()))).inserted_primary_key
        if key is None:  # pragma: no cover - every supported backend reports it
            raise RuntimeError("the database did not report the new error event's id")
        return int(key[0])

    def append_many(self, events: Iterable[ErrorEvent]) -> int:
        """Store *events* in one transaction; returns how many."""
        now = self._tx.clock()
        rows = [event.row(now) for event in events]
        if rows:
            with self._tx.transaction(f"recording {len(rows)} error events") as conn:
                conn.execute(e.insert(), rows)
        return len(rows)

    def _select(self, *clauses: ColumnElement[bool], limit: int) -> list[ErrorEventRow]:
        stmt = select(*(e.c[n] for n in _ROW_FIELDS)).where(*clauses).order_by(e.c.id.desc()).limit(limit)
        with self._tx.transaction("reading error events", write=False) as conn:
            return [ErrorEventRow(**dict(m)) for m in conn.execute(stmt).mappings()]

    def by_fingerprint(
        self,
        fingerprint: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[ErrorEventRow]:
        """Events with *fingerprint* in ``[since, until)``, newest first."""
        return self._select(e.c.fingerprint == fingerprint, *_window(since, until), limit=limit)

    def in_window(
        self,
        since: datetime,
        until: datetime | None = None,
        *,
        dag_id: str | None = None,
        task_id: str | None = None,
        error_category: str | None = None,
        limit: int = 1000,
    ) -> list[ErrorEventRow]:
        """Events in ``[since, until)``, optionally of one DAG/task/category, newest first."""
        clauses = _window(since, until)
        for column, value in (("dag_id", dag_id), ("task_id", task_id), ("error_category", error_category)):
            if value is not None:
                clauses.append(e.c[column] == value)
        return self._select(*clauses, limit=limit)

    def count_by_fingerprint(
        self, since: datetime, until: datetime | None = None, *, limit: int = 50
    ) -> list[FingerprintCount]:
        """The most frequent fingerprints in ``[since, until)``."""
        n = func.count().label("n")
        stmt = (
            select(e.c.fingerprint, n, func.max(e.c.created_at).label("last_seen"))
            .where(e.c.fingerprint.is_not(None), *_window(since, until))
            .group_by(e.c.fingerprint)
            .order_by(n.desc(), e.c.fingerprint)
            .limit(limit)
        )
        with self._tx.transaction("counting error events by fingerprint", write=False) as conn:
            rows = conn.execute(stmt).all()
        return [FingerprintCount(fp, int(count), last_seen) for fp, count, last_seen in rows]

    def try_recorded(self, identity: TaskIdentity) -> bool:
        """Whether an event of this very try exists (one indexed lookup on dag, task, time)."""
        stmt = (
            select(e.c.id)
            .where(
                e.c.dag_id == identity.dag_id,
                e.c.task_id == identity.task_id,
                e.c.run_id == identity.run_id,
                e.c.map_index == identity.map_index,
                e.c.try_number == identity.try_number,
            )
            .limit(1)
        )
        with self._tx.transaction("checking whether a try is recorded", write=False) as conn:
            return conn.execute(stmt).first() is not None

    def of_try(self, identity: TaskIdentity) -> ErrorEventRow | None:
        """The first event recorded for this very try (``None`` when none)."""
        clauses = [e.c[name] == value for name, value in identity.as_columns().items()]
        stmt = select(*(e.c[n] for n in _ROW_FIELDS)).where(*clauses).order_by(e.c.id).limit(1)
        with self._tx.transaction("reading a try's error event", write=False) as conn:
            row = conn.execute(stmt).mappings().first()
        return ErrorEventRow(**dict(row)) if row is not None else None

    def past_outcomes(self, fingerprint: str, *, now: datetime, window: timedelta, limit: int) -> list[str]:
        """Outcomes of the newest *limit* finished events of *fingerprint* in ``[now - window, now)``."""
        stmt = (
            select(e.c.outcome)
            .where(
                e.c.fingerprint == fingerprint,
                e.c.created_at >= now - window,
                e.c.created_at < now,
                e.c.outcome.is_not(None),
            )
            .order_by(e.c.created_at.desc())
            .limit(limit)
        )
        with self._tx.transaction("reading the history of a fingerprint", write=False) as conn:
            return [str(o) for (o,) in conn.execute(stmt).all()]

    def set_outcome(self, identity: TaskIdentity, outcome: str, *, try_number: int | None = None) -> int:
        """
        Record how a task instance ended (``success``, ``failed``...) on its events that have
        no outcome yet (only those of *try_number* when given). Returns how many were updated.
        """
        clauses = [
            e.c.dag_id == identity.dag_id,
            e.c.task_id == identity.task_id,
            e.c.run_id == identity.run_id,
            e.c.map_index == identity.map_index,
            e.c.outcome.is_(None),
        ]
        if try_number is not None:
            clauses.append(e.c.try_number == try_number)
        stmt = update(e).where(*clauses).values(outcome=clean_text(outcome, 32), outcome_at=self._tx.clock())
        with self._tx.transaction(f"recording the outcome of {identity.dag_id}.{identity.task_id}") as conn:
            return max(conn.execute(stmt).rowcount, 0)

    def purge(self, older_than: datetime) -> int:
        """Delete events created before *older_than*; returns how many."""
        with self._tx.transaction("purging error events") as conn:
            rollup.lock(conn, "event")
            deleted = max(conn.execute(delete(e).where(e.c.created_at < older_than)).rowcount, 0)
            rollup.refresh_before(conn, "event", older_than)
            return deleted
