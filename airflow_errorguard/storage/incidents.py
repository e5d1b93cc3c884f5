"""
Incident repository: one row per alert group, and the atomic claim "I send this alert".

Every failure that may alert calls :meth:`IncidentRepository.observe`. In ONE transaction it
creates the incident if needed (``INSERT ... ON CONFLICT DO NOTHING`` on the unique key), reopens
it if it was resolved, counts the occurrence, then tries to claim the notification with a
conditional ``UPDATE ... WHERE last_notified_at IS NULL OR last_notified_at <= :cutoff``. The
database serialises writers on the row (PostgreSQL re-checks the ``WHERE`` after waiting for the
row lock; SQLite takes the write lock with ``BEGIN IMMEDIATE``), so of N workers failing at once
exactly one sees ``rowcount == 1`` and sends; the others count as suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from airflow_errorguard.storage import incident_tasks
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.payload import clean_text
from airflow_errorguard.storage.quarantine_types import REASON_LIMIT
from airflow_errorguard.storage.tables.column_types import KEY_LEN
from airflow_errorguard.storage.tables.incident import incident_table as t
from airflow_errorguard.storage.upsert import insert_ignoring_duplicates


@dataclass(frozen=True)
class IncidentRow:
    """One stored incident."""

    id: int
    incident_key: str
    fingerprint: str | None
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    circuit_name: str | None
    error_category: str
    reason: str | None
    status: str
    first_seen_at: datetime
    last_seen_at: datetime
    occurrences: int
    notified_occurrences: int
    last_notified_at: datetime | None
    notify_count: int
    suppressed_count: int
    resolved_at: datetime | None
    version: int


_ROW_FIELDS = [f.name for f in fields(IncidentRow)]


def _fresh(now: datetime) -> dict[str, Any]:
    """An incident starting afresh at *now*: a new one, or a resolved one failing again."""
    return {
        "status": "open",
        "first_seen_at": now,
        "occurrences": 0,
        "notified_occurrences": 0,
        "last_notified_at": None,
        "notify_count": 0,
        "suppressed_count": 0,
        "resolved_at": None,
    }


@dataclass(frozen=True)
class Observation:
    """What a failure tells the incident (the grouping key is computed by the caller)."""

    incident_key: str
    error_category: str
    fingerprint: str | None = None
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    circuit_name: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Claim:
    """
    Outcome of :meth:`IncidentRepository.observe`.

    :param notify: ``True`` for exactly one caller per incident and repeat interval.
    :param reminder: The claimed notification repeats an earlier one (the incident stayed open).
    :param since_last: Occurrences since the previous notification (including this one).
    :param incident: The incident after this observation.
    :param pending_until: ``group_wait`` has not elapsed: call
        :meth:`IncidentRepository.claim_after_wait` at this time.
    """

    notify: bool
    reminder: bool
    since_last: int
    incident: IncidentRow
    pending_until: datetime | None = None

    @classmethod
    def of(
        cls, before: IncidentRow, after: IncidentRow, claimed: bool, pending_until: datetime | None = None
    ) -> Claim:
        """The claim from the incident before and after the claiming transaction."""
        return cls(
            notify=claimed,
            reminder=claimed and before.notify_count > 0,
            since_last=before.occurrences - before.notified_occurrences,
            incident=after,
            pending_until=pending_until,
        )


def _key(value: str) -> str:
    if not value or len(value) > KEY_LEN:
        raise ValueError(f"incident key must be 1..{KEY_LEN} characters, got {len(value)}")
    return value


class IncidentRepository:
    """The ``errorguard_incident`` table."""

    def __init__(self, tx: Transactional) -> None:
        self._tx = tx

    def _get(self, conn: Connection, key: str) -> IncidentRow | None:
        row = conn.execute(select(*(t.c[n] for n in _ROW_FIELDS)).where(t.c.incident_key == key)).mappings()
        found = row.first()
        return IncidentRow(**dict(found)) if found is not None else None

    def get(self, incident_key: str) -> IncidentRow | None:
        """The incident with *incident_key*, or ``None``."""
        with self._tx.transaction("reading an incident", write=False) as conn:
            return self._get(conn, incident_key)

    def observe(
        self,
        observation: Observation,
        *,
        repeat_interval: timedelta,
        group_wait: timedelta = timedelta(0),
        may_notify: bool = True,
    ) -> Claim:
        """
        Count one occurrence of *observation*'s incident and atomically claim its notification.

        :param repeat_interval: No second notification of an open incident within it.
        :param group_wait: No first notification until the incident is this old (burst grouping).
        :param may_notify: ``False`` records the occurrence only (a transient retry).
        """
        key = _key(observation.incident_key)
        now = self._tx.clock()
        with self._tx.transaction(f"recording incident {key}") as conn:
            conn.execute(
                insert_ignoring_duplicates(t, self._tx.backend).values(
                    incident_key=key,
                    fingerprint=clean_text(observation.fingerprint, 64),
                    dag_id=observation.dag_id,
                    task_id=observation.task_id,
                    run_id=observation.run_id,
                    circuit_name=observation.circuit_name,
                    error_category=clean_text(observation.error_category, 32) or "unknown",
                    reason=clean_text(observation.reason, REASON_LIMIT),
                    last_seen_at=now,
                    version=0,
                    **_fresh(now),
                )
            )
            # A resolved incident that fails again starts afresh (one worker wins; others just count).
            reopened = conn.execute(
                update(t)
                .where(t.c.incident_key == key, t.c.status == "resolved")
                .values(version=t.c.version + 1, **_fresh(now))
            ).rowcount
            conn.execute(
                update(t)
                .where(t.c.incident_key == key)
                .values(
                    occurrences=t.c.occurrences + 1,
                    last_seen_at=now,
                    run_id=observation.run_id,
                    dag_id=observation.dag_id,
                    task_id=observation.task_id,
                    reason=clean_text(observation.reason, REASON_LIMIT),
                    error_category=clean_text(observation.error_category, 32) or "unknown",
                    version=t.c.version + 1,
                )
            )
            before = self._get(conn, key)
            assert before is not None  # inserted above, and incidents are never deleted here
            incident_tasks.seen_failing(
                conn,
                self._tx.backend,
                before.id,
                observation.dag_id,
                observation.task_id,
                now,
                afresh=reopened == 1,
            )
            waited_until = before.first_seen_at + group_wait
            pending = waited_until if waited_until > now else None
            claimed = False
            if may_notify and pending is None:
                claimed = self._claim(conn, key, now, repeat_interval, group_wait)
            if not claimed and pending is None:
                self._suppress(conn, key)
            after = self._get(conn, key)
        assert after is not None
        return Claim.of(before, after, claimed, pending if may_notify else None)

    def claim_after_wait(
        self, incident_key: str, *, repeat_interval: timedelta, group_wait: timedelta
    ) -> Claim | None:
        """
        After ``group_wait``: claim the first notification of the burst (one caller wins).
        Returns the claim, or ``None`` when the incident is gone.
        """
        now = self._tx.clock()
        with self._tx.transaction(f"claiming incident {incident_key}") as conn:
            before = self._get(conn, incident_key)
            if before is None:
                return None
            claimed = self._claim(conn, incident_key, now, repeat_interval, group_wait)
            if not claimed:
                self._suppress(conn, incident_key)
            after = self._get(conn, incident_key)
        assert after is not None
        return Claim.of(before, after, claimed)

    @staticmethod
    def _claim(
        conn: Connection, key: str, now: datetime, repeat_interval: timedelta, group_wait: timedelta
    ) -> bool:
        """The atomic conditional UPDATE: true for the one caller that may notify now."""
        done = conn.execute(
            update(t)
            .where(
                t.c.incident_key == key,
                t.c.status == "open",
                t.c.first_seen_at <= now - group_wait,
                or_(t.c.last_notified_at.is_(None), t.c.last_notified_at <= now - repeat_interval),
            )
            .values(
                last_notified_at=now,
                notify_count=t.c.notify_count + 1,
                notified_occurrences=t.c.occurrences,
                version=t.c.version + 1,
            )
        )
        return done.rowcount == 1

    @staticmethod
    def _suppress(conn: Connection, key: str) -> None:
        conn.execute(
            update(t)
            .where(t.c.incident_key == key)
            .values(suppressed_count=t.c.suppressed_count + 1, version=t.c.version + 1)
        )

    def resolve(self, incident_key: str, *, claim_notice: bool = False) -> IncidentRow | None:
        """
        Mark an open incident resolved. Returns it when THIS call resolved it (so exactly one
        caller sends the resolve notice), ``None`` when it was not open.
        """
        now = self._tx.clock()
        with self._tx.transaction(f"resolving incident {incident_key}") as conn:
            done = conn.execute(
                update(t)
                .where(t.c.incident_key == incident_key, t.c.status == "open")
                .values(status="resolved", resolved_at=now, version=t.c.version + 1)
            ).rowcount
            return self._get(conn, incident_key) if done == 1 else None

    def open_for_task(self, dag_id: str, task_id: str, *, limit: int = 20) -> list[IncidentRow]:
        """Open incidents *dag_id*.*task_id* is failing in (what a success of that task fixes)."""
        stmt = (
            select(*(t.c[n] for n in _ROW_FIELDS))
            .where(t.c.status == "open", t.c.id.in_(incident_tasks.failing_in(dag_id, task_id)))
            .order_by(t.c.id)
            .limit(limit)
        )
        with self._tx.transaction("reading open incidents", write=False) as conn:
            return [IncidentRow(**dict(m)) for m in conn.execute(stmt).mappings()]

    def fixed_on(self, incident_key: str, dag_id: str, task_id: str) -> IncidentRow | None:
        """
        *dag_id*.*task_id* succeeded: it no longer fails in this incident. When no task of the
        incident is failing any more, resolve it. Returns the incident when THIS call resolved it
        (exactly one caller sends the resolve notice), else ``None``.

        The incident row is locked first (a no-op ``UPDATE``), so concurrent successes of the
        incident's last two failing tasks are serialised and the second one sees the first.
        """
        now = self._tx.clock()
        with self._tx.transaction(f"fixing incident {incident_key} on {dag_id}.{task_id}") as conn:
            locked = conn.execute(
                update(t)
                .where(t.c.incident_key == incident_key, t.c.status == "open")
                .values(version=t.c.version + 1)
            ).rowcount
            incident = self._get(conn, incident_key) if locked == 1 else None
            if incident is None or incident_tasks.fix(conn, incident.id, dag_id, task_id, now):
                return None  # not open, or another task still fails
            conn.execute(
                update(t)
                .where(t.c.id == incident.id, t.c.status == "open")
                .values(status="resolved", resolved_at=now, version=t.c.version + 1)
            )
            return self._get(conn, incident_key)

    def tasks(self, incident_key: str) -> list[tuple[str, str, bool]]:
        """``(dag_id, task_id, failing)`` of every task the incident was seen failing on."""
        found = self.get(incident_key)
        if found is None:
            return []
        with self._tx.transaction("reading an incident's tasks", write=False) as conn:
            return incident_tasks.of_incident(conn, found.id)

    def list(self, *, status: str | None = None, after_id: int = 0, limit: int = 100) -> list[IncidentRow]:
        """Incidents with id > *after_id* (keyset pagination), optionally of one *status*."""
        clauses: list[Any] = [t.c.id > after_id]
        if status is not None:
            clauses.append(t.c.status == status)
        stmt = select(*(t.c[n] for n in _ROW_FIELDS)).where(*clauses).order_by(t.c.id).limit(limit)
        with self._tx.transaction("listing incidents", write=False) as conn:
            return [IncidentRow(**dict(m)) for m in conn.execute(stmt).mappings()]
