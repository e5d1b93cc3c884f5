"""HTML page of incidents, top error patterns and error budgets."""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from airflow_errorguard.ui import access
from airflow_errorguard.ui.api.incidents import parse_window
from airflow_errorguard.ui.render import render
from airflow_errorguard.ui.services import incidents as incidents_service

router = APIRouter(include_in_schema=False)


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request, user: GetUserDep) -> HTMLResponse:
    window = parse_window(request)
    view = incidents_service.overview(user, **window)
    return render(
        request,
        "incidents.html",
        section="incidents",
        user_name=access.user_name(user),
        view=view,
        window=window,
    )
