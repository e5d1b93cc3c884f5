"""JSON API of incidents and error patterns."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Request

from airflow_errorguard.manage.filters import FilterError, parse_cursor, parse_limit
from airflow_errorguard.ui.hook import pinned_reads
from airflow_errorguard.ui.services import incidents as incidents_service

router = APIRouter(prefix="/api/incidents", tags=["incidents"])


def _json(obj: Any) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(obj).items()}


def parse_window(request: Request) -> dict[str, Any]:
    """``dag_id``, ``hours`` (default 24), ``budget`` (default 100), ``status``, ``after``, ``limit``."""
    params = request.query_params
    try:
        hours = float(params.get("hours") or 24)
        budget = int(params.get("budget") or 100)
    except ValueError as err:
        raise FilterError(f"hours and budget must be numbers: {err}") from err
    if not 0 < hours <= 24 * 366 or budget < 0:
        raise FilterError("hours must be in (0, 8784] and budget >= 0")
    return {
        "dag_id": params.get("dag_id") or None,
        "hours": hours,
        "budget": budget,
        "status": params.get("status") or None,
        "after": parse_cursor(params.get("after")) or 0,
        "limit": parse_limit(params.get("limit")),
    }


@router.get("")
def list_incidents(request: Request, user: GetUserDep) -> dict[str, Any]:
    """Incidents on readable DAGs, top fingerprints and error budgets over the window."""
    with pinned_reads():
        view = incidents_service.overview(user, **parse_window(request))
    return {
        "incidents": [_json(r) for r in view.incidents],
        "next_cursor": view.next_cursor,
        "patterns": [_json(p) for p in view.patterns],
        "budgets": [{**_json(b), "remaining": b.remaining, "breached": b.breached} for b in view.budgets],
        "patterns_need_dag": view.scoped,
    }
