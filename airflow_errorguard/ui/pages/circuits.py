"""HTML pages of circuits."""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from airflow_errorguard.manage import circuits as ops
from airflow_errorguard.ui import access
from airflow_errorguard.ui.hook import get_hook
from airflow_errorguard.ui.render import render

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
