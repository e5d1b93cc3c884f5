"""JSON API of orphans (rows whose DAG run was deleted): visible to and purged by admins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from airflow_errorguard.ui import access
from airflow_errorguard.ui.csrf import require_same_origin_json
from airflow_errorguard.ui.hook import get_hook

router = APIRouter(prefix="/api/orphans", tags=["orphans"])


class PurgeBody(BaseModel):
    older_than_days: float | None = Field(default=None, ge=0)


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


@router.get("")
def list_orphans(user: GetUserDep, limit: int = 50) -> dict[str, Any]:
    """Counts and the newest orphaned quarantine rows and checkpoints (admins: they span DAGs)."""
    access.require_admin(user)
    orphans = get_hook().orphans
    counts = orphans.counts()
    limit = max(1, min(limit, 500))
    return {
        "counts": {"quarantine": counts.quarantine, "checkpoints": counts.checkpoints},
        "quarantine": [_json(r) for r in orphans.quarantine_rows(limit=limit)],
        "checkpoints": [_json(r) for r in orphans.checkpoint_rows(limit=limit)],
    }


@router.post("/purge", dependencies=[Depends(require_same_origin_json)])
def purge_orphans(body: PurgeBody, user: GetUserDep) -> dict[str, Any]:
    """Delete orphaned rows (only those not changed for ``older_than_days`` when given; audited)."""
    access.require_admin(user)
    hook = get_hook()
    cutoff = None
    if body.older_than_days is not None:
        cutoff = hook.database.clock() - timedelta(days=body.older_than_days)
    deleted = hook.orphans.purge(older_than=cutoff, actor=access.user_name(user))
    return {"deleted": {"quarantine": deleted.quarantine, "checkpoints": deleted.checkpoints}}
