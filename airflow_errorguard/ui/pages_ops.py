"""HTML pages of circuits and incidents."""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from airflow_errorguard.ui import access, incidents_service, ops
from airflow_errorguard.ui.api_incidents import parse_window
from airflow_errorguard.ui.render import render
from airflow_errorguard.ui.storage import get_hook

router = APIRouter(include_in_schema=False)


@router.get("/circuits", response_class=HTMLResponse)
def circuits(request: Request, user: GetUserDep) -> HTMLResponse:
    return render(
        request,
        "circuits.html",
        section="circuits",
        user_name=access.user_name(user),
        circuits=ops.circuit_views(get_hook().circuits),
        can_control=access.is_admin(user),
    )


@router.get("/circuits/{name}", response_class=HTMLResponse)
def circuit(name: str, request: Request, user: GetUserDep) -> HTMLResponse:
    storage = get_hook().circuits
    view = ops.circuit_view(storage, name)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No circuit named {name!r}")
    return render(
        request,
        "circuit_detail.html",
        section="circuits",
        user_name=access.user_name(user),
        c=view,
        events=ops.circuit_events(storage, name),
        can_control=access.is_admin(user),
        actions=ops.CIRCUIT_ACTIONS,
    )


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
