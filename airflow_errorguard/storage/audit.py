"""Audit repository: who changed what, when, with the state before and after."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.payload import PayloadPolicy, clean_text, serialise
from airflow_errorguard.storage.tables.audit import audit_table as a

_STATE_POLICY = PayloadPolicy()


@dataclass(frozen=True)
class AuditEntry:
    """One audit row; ``state_before``/``state_after`` decoded from JSON."""

    id: int
    entity: str
    entity_id: str
    action: str
    actor: str
    created_at: datetime
    state_before: Any
    state_after: Any
    note: str | None


def audit_row(
    *,
    entity: str,
    entity_id: object,
    action: str,
    actor: str,
    at: datetime,
    before: Any = None,
    after: Any = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Column values of one audit row (states serialised like payloads: never raises)."""
    return {
        "entity": clean_text(entity, 32),
        "entity_id": clean_text(entity_id, 250),
        "action": clean_text(action, 32),
        "actor": clean_text(actor, 250) or "unknown",
        "created_at": at,
        "state_before": None if before is None else serialise(before, _STATE_POLICY),
        "state_after": None if after is None else serialise(after, _STATE_POLICY),
        "note": clean_text(note, 4000),
    }


def insert_audit_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert audit rows on *conn* (inside the caller's transaction)."""
    if rows:
        conn.execute(a.insert(), list(rows))


def _entry(m: Any) -> AuditEntry:
    return AuditEntry(
        id=m["id"],
        entity=m["entity"],
        entity_id=m["entity_id"],
        action=m["action"],
        actor=m["actor"],
        created_at=m["created_at"],
        state_before=None if m["state_before"] is None else json.loads(m["state_before"]),
        state_after=None if m["state_after"] is None else json.loads(m["state_after"]),
        note=m["note"],
    )


class AuditRepository:
    """The ``errorguard_audit`` table."""

    def __init__(self, tx: Transactional) -> None:
        self._tx = tx

    def record(
        self,
        entity: str,
        entity_id: object,
        action: str,
        *,
        actor: str,
        before: Any = None,
        after: Any = None,
        note: str | None = None,
    ) -> None:
        """Record one change (e.g. ``("circuit", "orders-api", "force_open")``)."""
        row = audit_row(
            entity=entity,
            entity_id=entity_id,
            action=action,
            actor=actor,
            at=self._tx.clock(),
            before=before,
            after=after,
            note=note,
        )
        with self._tx.transaction(f"recording audit {entity}/{entity_id} {action}") as conn:
            insert_audit_rows(conn, [row])

    def history(self, entity: str, entity_id: object, *, limit: int = 100) -> list[AuditEntry]:
        """Changes of one entity, newest first."""
        stmt = (
            select(a)
            .where(a.c.entity == entity, a.c.entity_id == str(entity_id))
            .order_by(a.c.id.desc())
            .limit(limit)
        )
        with self._tx.transaction(f"reading audit of {entity}/{entity_id}", write=False) as conn:
            return [_entry(m) for m in conn.execute(stmt).mappings()]

    def recent(self, *, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
        """Latest changes of any entity, newest first; pass the last id as *before_id* to page."""
        stmt = select(a).order_by(a.c.id.desc()).limit(limit)
        if before_id is not None:
            stmt = stmt.where(a.c.id < before_id)
        with self._tx.transaction("reading recent audit entries", write=False) as conn:
            return [_entry(m) for m in conn.execute(stmt).mappings()]

    def purge(self, older_than: datetime) -> int:
        """Delete entries created before *older_than*; returns how many."""
        with self._tx.transaction("purging audit entries") as conn:
            return max(conn.execute(delete(a).where(a.c.created_at < older_than)).rowcount, 0)
