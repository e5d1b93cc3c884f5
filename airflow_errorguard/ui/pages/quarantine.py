"""HTML pages of the quarantine (server-rendered; actions go through the JSON API)."""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.manage.filters import FilterError, QuarantineQuery, parse_cursor, parse_limit
from airflow_errorguard.manage.serialize import pretty_payload, task_instance_path
from airflow_errorguard.storage.tables.quarantine import QUARANTINE_STATUSES
from airflow_errorguard.ui import access
from airflow_errorguard.ui.hook import pinned_reads
from airflow_errorguard.ui.render import SECURITY_HEADERS, STATIC, base_path, render
from airflow_errorguard.ui.services import quarantine as service

router = APIRouter(include_in_schema=False)
_STATIC_FILES = {
    "errorguard.css": "text/css",
    "errorguard.js": "text/javascript",
    "theme.js": "text/javascript",
}


@router.get("/")
def index(request: Request, user: GetUserDep) -> RedirectResponse:
    return RedirectResponse(f"{base_path(request)}/quarantine", status_code=303)


@router.get("/static/{name}")
def static(name: str, user: GetUserDep) -> FileResponse:
    if name not in _STATIC_FILES:
        raise HTTPException(404, "Not found")
    return FileResponse(STATIC / name, media_type=_STATIC_FILES[name], headers=SECURITY_HEADERS)


@router.get("/quarantine", response_class=HTMLResponse)
def quarantine_list(request: Request, user: GetUserDep) -> HTMLResponse:
    params = dict(request.query_params)
    error: str | None = None
    try:
        query = service.resolve(user, QuarantineQuery.parse(params))
        limit = parse_limit(params.get("limit"))
        after = parse_cursor(params.get("after"))
    except FilterError as err:
        query, limit, after, error = QuarantineQuery(), 50, None, str(err)
    with pinned_reads():
        page = service.page(user, query, limit=limit, after=after)
        counts = service.counts(user, query)
    categories = sorted(
        {c.value for c in ErrorCategory} | set(counts["category"]) | {query.raw.get("category") or "unknown"}
    )
    return render(
        request,
        "quarantine_list.html",
        section="quarantine",
        user_name=access.user_name(user),
        rows=page.items,
        next_cursor=page.next_cursor,
        after=after,
        raw=query.raw,
        raw_empty=query.is_empty,
        counts=counts,
        statuses=QUARANTINE_STATUSES,
        categories=categories,
        embedded=params.get("view") == "ti",
        error=error,
        status_code=400 if error else 200,
    )


@router.get("/quarantine/{row_id}", response_class=HTMLResponse)
def quarantine_detail(row_id: int, request: Request, user: GetUserDep) -> HTMLResponse:
    view = service.record(user, row_id)
    released = view.row.status == "released"
    return render(
        request,
        "quarantine_detail.html",
        section="quarantine",
        user_name=access.user_name(user),
        row=view.row,
        payload=pretty_payload(view.row),
        history=view.history,
        can_edit=view.can_edit,
        ti_path=task_instance_path(view.row),
        done=request.query_params.get("done"),
        replay_tasks=service.replay_tasks(user, view.row.dag_id) if released else [],
    )
