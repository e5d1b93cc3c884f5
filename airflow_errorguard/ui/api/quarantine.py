"""JSON API of the quarantine: ``/errorguard/api/quarantine...``."""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from airflow_errorguard.manage.export import csv_lines, jsonl_lines
from airflow_errorguard.manage.filters import QuarantineQuery, parse_cursor, parse_limit
from airflow_errorguard.manage.serialize import audit_dict, row_dict, task_instance_path
from airflow_errorguard.ui.csrf import require_same_origin_json
from airflow_errorguard.ui.services import quarantine as service

router = APIRouter(prefix="/api/quarantine", tags=["quarantine"])
_actions = [Depends(require_same_origin_json)]


class ActionBody(BaseModel):
    """Body of a single-record action."""

    note: str | None = Field(default=None, max_length=4000)


class BulkBody(BaseModel):
    """Body of a bulk action: a filter (or just a fingerprint), the action and the confirmed count."""

    action: str
    filter: dict[str, Any] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=4000)
    expected_count: int | None = None


def _query(request: Request) -> QuarantineQuery:
    params = dict(request.query_params)
    if "status" in request.query_params:
        params["status"] = ",".join(request.query_params.getlist("status"))
    return QuarantineQuery.parse(params)


@router.get("")
def list_records(request: Request, user: GetUserDep) -> dict[str, Any]:
    """One page of records (no payloads), newest first; ``next_cursor`` goes into ``after``."""
    page = service.page(
        user,
        _query(request),
        limit=parse_limit(request.query_params.get("limit")),
        after=parse_cursor(request.query_params.get("after")),
    )
    return {"items": [row_dict(r) for r in page.items], "next_cursor": page.next_cursor}


@router.get("/counts")
def counts(request: Request, user: GetUserDep) -> dict[str, Any]:
    """Records per status and per category (readable DAGs, current filters)."""
    return service.counts(user, _query(request))


@router.get("/export.csv")
def export_csv(request: Request, user: GetUserDep) -> StreamingResponse:
    """Every matching record as CSV, streamed."""
    rows = service.export_rows(user, _query(request))
    return StreamingResponse(
        csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="errorguard-quarantine.csv"'},
    )


@router.get("/export.jsonl")
def export_jsonl(request: Request, user: GetUserDep) -> StreamingResponse:
    """Every matching record as JSON Lines, streamed."""
    rows = service.export_rows(user, _query(request))
    return StreamingResponse(
        jsonl_lines(rows),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="errorguard-quarantine.jsonl"'},
    )


@router.post("/bulk/preview", dependencies=_actions)
def bulk_preview(body: BulkBody, user: GetUserDep) -> dict[str, Any]:
    """How many records a bulk action would change (confirm with this count)."""
    query = QuarantineQuery.parse(body.filter)
    return {"count": service.bulk_count(user, query), "filter": query.raw, "action": body.action}


@router.post("/bulk", dependencies=_actions)
def bulk(body: BulkBody, user: GetUserDep) -> dict[str, Any]:
    """Apply an action to every matching record; ``expected_count`` must equal the previewed count."""
    if body.expected_count is None:
        raise HTTPException(400, "Confirm the bulk action: send expected_count from /bulk/preview")
    result = service.bulk(
        user, QuarantineQuery.parse(body.filter), body.action, body.note, body.expected_count
    )
    return {"changed": len(result.changed), "skipped": len(result.skipped)}


@router.get("/{row_id}")
def get_record(row_id: int, user: GetUserDep) -> dict[str, Any]:
    """One record with payload, traceback and audit history."""
    view = service.record(user, row_id)
    data = row_dict(view.row, with_payload=True)
    data["task_instance_url"] = task_instance_path(view.row)
    data["audit"] = [audit_dict(e) for e in view.history]
    data["can_edit"] = view.can_edit
    return data


@router.post("/{row_id}/{action}", dependencies=_actions)
def act(row_id: int, action: str, body: ActionBody, user: GetUserDep) -> dict[str, Any]:
    """``release``, ``discard`` (note required) or ``requarantine`` one record."""
    result = service.act(user, row_id, action, body.note)
    return {"changed": result.changed, "skipped": {str(k): v for k, v in result.skipped.items()}}
