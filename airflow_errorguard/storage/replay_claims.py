"""
Replay claims: a released quarantine row is processed by exactly one replay run.

A replay run **claims** rows before it processes them (``claimed_by``/``claim_try``/``claimed_at``
set in one statement: ``WITH c AS (SELECT … FOR UPDATE SKIP LOCKED) UPDATE … WHERE id IN c RETURNING``
on PostgreSQL, the same ``UPDATE … RETURNING`` under SQLite's write lock, elsewhere a plain read of
the candidates, select-for-update of those by key, then update), and **settles** them (status moved,
claim cleared, audited) in one transaction that only touches rows it still holds: a run that lost
its claim changes nothing. A claim is free to take over when its lease expired, or when it was made
by an earlier try of the same task instance (Airflow runs one try at a time: an earlier try's claim
is a dead run's).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.engine import Connection

from airflow_errorguard.storage import signatures
from airflow_errorguard.storage.audit import audit_row, insert_audit_rows
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.payload import clean_text
from airflow_errorguard.storage.quarantine_types import QuarantineRow
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

_ROW_COLUMNS = [*q.c, *signatures.READ_COLUMNS]
log = logging.getLogger(__name__)
#: An empty claim while rows free for the claimant are locked elsewhere is tried again, waiting
#: from ``CLAIM_RETRY_DELAY`` seconds, doubling up to ``CLAIM_RETRY_DELAY_MAX``, at most this often.
CLAIM_RETRIES = 40
CLAIM_RETRY_DELAY = 0.05
CLAIM_RETRY_DELAY_MAX = 1.0


class ClaimLost(Exception):
    """Some rows of a batch are no longer held by this claimant (lease expired, status changed)."""

    def __init__(self, lost: int) -> None:
        super().__init__(f"{lost} claimed rows were taken over or changed")
        self.lost = lost


@dataclass(frozen=True)
class Claimant:
    """
    Who replays: a task instance (``holder``) in one try, and how long its claims last.

    :param holder: The task instance (``dag/task/run/map_index``).
    :param try_number: Its try; claims of earlier tries of the same holder are free to take.
    :param lease: A claim older than this is free to take (its run is presumed dead).
    :param actor: The audit actor of the status changes.
    """

    holder: str
    try_number: int
    lease: timedelta
    actor: str

    def holds(self) -> ColumnElement[bool]:
        return and_(q.c.claimed_by == self.holder, q.c.claim_try == self.try_number)

    def may_take(self, now: datetime) -> ColumnElement[bool]:
        """Unclaimed, claimed past its lease, or claimed by an earlier try of this task instance."""
        return or_(
            q.c.claimed_by.is_(None),
            q.c.claimed_at < now - self.lease,
            and_(q.c.claimed_by == self.holder, q.c.claim_try < self.try_number),
        )


def claim(
    tx: Transactional,
    who: Claimant,
    where: Sequence[ColumnElement[bool]],
    limit: int,
    *,
    wait: Callable[[float], None] = time.sleep,
) -> list[QuarantineRow]:
    """
    Claim up to *limit* released rows matching *where* (oldest first); returns them, with payload.

    Returns ``[]`` only when no row *who* may take is left. A claim skips rows another transaction
    holds locked at that instant (``SKIP LOCKED``), so an empty claim is checked with a plain read:
    rows still free for *who* (say, an earlier try's claims, which only *who* may take over) are
    claimed again after a short wait instead of being left to the lease.
    """
    delay = CLAIM_RETRY_DELAY
    for _attempt in range(CLAIM_RETRIES):
        rows = _claim_once(tx, who, where, limit)
        if rows or not _free_rows_left(tx, who, where):
            return rows
        wait(delay)
        delay = min(delay * 2, CLAIM_RETRY_DELAY_MAX)
    log.warning("errorguard replay: rows free for %s stayed locked; they are left to other runs", who.holder)
    return []


def _free_rows_left(tx: Transactional, who: Claimant, where: Sequence[ColumnElement[bool]]) -> bool:
    with tx.transaction("looking for unclaimed released rows", write=False) as conn:
        free = and_(q.c.status == "released", who.may_take(tx.clock()), *where)
        return conn.execute(select(q.c.id).where(free).limit(1)).first() is not None


def _claim_once(
    tx: Transactional, who: Claimant, where: Sequence[ColumnElement[bool]], limit: int
) -> list[QuarantineRow]:
    now = tx.clock()
    with tx.transaction("claiming released quarantine rows for replay") as conn:
        free = and_(q.c.status == "released", who.may_take(now), *where)
        candidates = select(q.c.id).where(free).order_by(q.c.id).limit(limit)
        values = {"claimed_by": who.holder, "claim_try": who.try_number, "claimed_at": now}
        dialect = conn.dialect
        if dialect.update_returning and dialect.name in ("postgresql", "sqlite"):
            if dialect.name == "postgresql":
                # A CTE runs once; a locking sub-select may be re-scanned per row and then skip
                # the rows this very statement updated, claiming past the limit.
                locked = candidates.with_for_update(skip_locked=True).cte("claimable")
                chosen: Any = select(locked.c.id)
            else:
                chosen = candidates.scalar_subquery()
            stmt = update(q).where(q.c.id.in_(chosen), free).values(**values)
            ids = list(conn.execute(stmt.returning(q.c.id)).scalars())
        else:
            # A locking scan under MySQL's REPEATABLE READ locks every row it passes, matching or
            # not: another run's claim would then skip rows only this claimant may take. Read the
            # candidates plainly, then lock just those by primary key.
            ids = list(conn.execute(candidates).scalars())
            if ids:
                locking = select(q.c.id).where(q.c.id.in_(ids), free).order_by(q.c.id)
                ids = list(conn.execute(locking.with_for_update(skip_locked=True)).scalars())
            if ids:
                conn.execute(update(q).where(q.c.id.in_(ids), free).values(**values))
        if not ids:
            return []
        rows = conn.execute(
            select(*_ROW_COLUMNS)
            .select_from(signatures.joined())
            .where(q.c.id.in_(ids), who.holds())
            .order_by(q.c.id)
        )
        return [QuarantineRow(**signatures.row_fields(r._mapping)) for r in rows]


def settle(
    conn: Connection,
    who: Claimant,
    now: datetime,
    replayed: Sequence[int],
    failed: dict[int, str],
) -> None:
    """
    Move held rows to ``replayed`` and *failed* ones (id -> message) back to ``quarantined``, clear
    their claims and audit it, on *conn* (the caller's transaction).

    :raises ClaimLost: a row is no longer held; the caller must roll the transaction back.
    """
    done = {"claimed_by": None, "claim_try": None, "claimed_at": None, "updated_at": now}
    audits: list[dict[str, Any]] = []
    if replayed:
        actor = clean_text(who.actor, 250)
        moved = conn.execute(
            update(q)
            .where(q.c.id.in_(list(replayed)), q.c.status == "released", who.holds())
            .values(status="replayed", resolved_at=now, resolved_by=actor, note="replayed", **done)
        ).rowcount
        if moved != len(replayed):
            raise ClaimLost(len(replayed) - moved)
        audits.extend(_audit(who, i, "replay", "replayed", now=now, note="replayed") for i in replayed)
    for row_id, message in failed.items():
        note = clean_text(f"replay failed: {message}", 4000)
        moved = conn.execute(
            update(q)
            .where(q.c.id == row_id, q.c.status == "released", who.holds())
            .values(status="quarantined", resolved_at=None, resolved_by=None, note=note, **done)
        ).rowcount
        if moved != 1:
            raise ClaimLost(1)
        audits.append(_audit(who, row_id, "requarantine", "quarantined", now=now, note=note))
    insert_audit_rows(conn, audits)


def release(tx: Transactional, who: Claimant) -> int:
    """Give up every claim *who* still holds (the rows stay ``released``); returns how many."""
    with tx.transaction("releasing replay claims") as conn:
        return int(
            conn.execute(
                update(q)
                .where(q.c.status == "released", who.holds())
                .values(claimed_by=None, claim_try=None, claimed_at=None)
            ).rowcount
        )


def _audit(who: Claimant, row_id: int, action: str, status: str, *, now: datetime, note: str | None) -> Any:
    return audit_row(
        entity="quarantine",
        entity_id=row_id,
        action=action,
        actor=who.actor,
        at=now,
        before={"status": "released"},
        after={"status": status},
        note=note,
    )
