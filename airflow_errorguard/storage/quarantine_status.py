"""
Status changes of quarantined rows (each audited) and their retention purge.

Allowed moves::

    quarantined -> released | replayed | discarded
    released    -> replayed | quarantined | discarded
    discarded   -> quarantined
    replayed    -> (final)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update

from airflow_errorguard.storage import rollup, signatures
from airflow_errorguard.storage.audit import audit_row, insert_audit_rows
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.payload import clean_text
from airflow_errorguard.storage.tables.quarantine import QUARANTINE_STATUSES
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "quarantined": frozenset({"released", "replayed", "discarded"}),
    "released": frozenset({"replayed", "quarantined", "discarded"}),
    "discarded": frozenset({"quarantined"}),
    "replayed": frozenset(),
}
#: Statuses in which a record is considered resolved (``resolved_at``/``resolved_by`` set).
RESOLVED = frozenset({"replayed", "discarded"})
_ACTIONS = {
    "released": "release",
    "replayed": "replay",
    "discarded": "discard",
    "quarantined": "requarantine",
}
_CHUNK = 500


@dataclass(frozen=True)
class TransitionResult:
    """Rows moved, and rows left alone with the reason (``"not found"`` or ``"replayed -> released"``)."""

    changed: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def transition(
    tx: Transactional, ids: Sequence[int], to_status: str, *, actor: str, note: str | None = None
) -> TransitionResult:
    """See :meth:`QuarantineRepository.transition`."""
    if to_status not in QUARANTINE_STATUSES:
        raise ValueError(
            f"unknown quarantine status {to_status!r}; expected one of {', '.join(QUARANTINE_STATUSES)}"
        )
    if not actor:
        raise ValueError("transition needs an actor (who is making the change)")
    wanted = list(dict.fromkeys(int(i) for i in ids))
    changed: list[int] = []
    skipped: dict[int, str] = {}
    now = tx.clock()
    resolved = to_status in RESOLVED
    note = clean_text(note, 4000)
    with tx.transaction(f"moving {len(wanted)} quarantine rows to {to_status}") as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            current = dict(
                conn.execute(select(q.c.id, q.c.status).where(q.c.id.in_(chunk)).with_for_update()).all()
            )
            by_status: dict[str, list[int]] = {}
            for row_id in chunk:
                status = current.get(row_id)
                if status is None:
                    skipped[row_id] = "not found"
                elif to_status not in ALLOWED_TRANSITIONS[status]:
                    skipped[row_id] = f"{status} -> {to_status}"
                else:
                    by_status.setdefault(status, []).append(row_id)
            audits: list[dict[str, Any]] = []
            for status, moving in by_status.items():
                conn.execute(
                    update(q)
                    .where(q.c.id.in_(moving), q.c.status == status)
                    .values(
                        status=to_status,
                        updated_at=now,
                        resolved_at=now if resolved else None,
                        resolved_by=clean_text(actor, 250) if resolved else None,
                        note=note,
                        claimed_by=None,
                        claim_try=None,
                        claimed_at=None,
                    )
                )
                changed.extend(moving)
                audits.extend(
                    audit_row(
                        entity="quarantine",
                        entity_id=row_id,
                        action=_ACTIONS[to_status],
                        actor=actor,
                        at=now,
                        before={"status": status},
                        after={"status": to_status},
                        note=note,
                    )
                    for row_id in moving
                )
            insert_audit_rows(conn, audits)
    return TransitionResult(changed=changed, skipped=skipped)


def _purge_statuses(statuses: Sequence[str]) -> list[str]:
    chosen = list(statuses)
    unknown = [s for s in chosen if s not in QUARANTINE_STATUSES]
    if unknown or not chosen:
        raise ValueError(f"purge: statuses must be a non-empty subset of {QUARANTINE_STATUSES}, got {chosen}")
    return chosen


def untouched_before(older_than: datetime) -> list[ColumnElement[bool]]:
    """Rows created and last changed before *older_than* (``updated_at`` is ``NULL`` until a change)."""
    return [q.c.created_at < older_than, or_(q.c.updated_at.is_(None), q.c.updated_at < older_than)]


def purgeable(
    tx: Transactional, older_than: datetime, *, statuses: Sequence[str] = ("replayed", "discarded")
) -> int:
    """How many rows :func:`purge` would delete now (its dry run)."""
    chosen = _purge_statuses(statuses)
    stmt = select(func.count()).where(*untouched_before(older_than), q.c.status.in_(chosen))
    with tx.transaction("counting purgeable quarantine rows", write=False) as conn:
        return int(conn.execute(stmt).scalar_one())


def purge(
    tx: Transactional,
    older_than: datetime,
    *,
    statuses: Sequence[str] = ("replayed", "discarded"),
    batch_size: int = 5000,
    actor: str = "errorguard",
) -> int:
    """See :meth:`QuarantineRepository.purge`."""
    statuses = _purge_statuses(statuses)
    if batch_size < 1:
        raise ValueError(f"purge: batch_size must be >= 1, got {batch_size}")
    candidates = (
        select(q.c.id, q.c.created_at)
        .where(*untouched_before(older_than), q.c.status.in_(statuses))
        .order_by(q.c.id)
        .limit(batch_size)
    )
    deleted = 0
    while True:
        with tx.transaction(f"purging quarantine rows older than {older_than.isoformat()}") as conn:
            rollup.lock(conn, "quarantine")
            rows = conn.execute(candidates).all()
            ids = [row[0] for row in rows]
            if ids:
                for start in range(0, len(ids), _CHUNK):
                    conn.execute(delete(q).where(q.c.id.in_(ids[start : start + _CHUNK])))
                rollup.refresh_hours(conn, "quarantine", [row[1] for row in rows])
                deleted += len(ids)
        if len(ids) < batch_size:
            break
    if deleted:
        with tx.transaction("recording the quarantine purge") as conn:
            # Every unreferenced signature past its grace, also those a purge before kept for it.
            signatures.delete_unreferenced(conn, tx.clock())
            insert_audit_rows(
                conn,
                [
                    audit_row(
                        entity="quarantine",
                        entity_id="*",
                        action="purge",
                        actor=actor,
                        at=tx.clock(),
                        after={
                            "deleted": deleted,
                            "older_than": older_than.isoformat(),
                            "statuses": statuses,
                        },
                    )
                ],
            )
    return deleted
