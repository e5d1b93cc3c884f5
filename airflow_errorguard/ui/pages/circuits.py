"""HTML pages of circuits."""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from airflow_errorguard.manage import circuits as ops
from airflow_errorguard.ui import access
from airflow_errorguard.ui.hook import get_hook, pinned_reads
from airflow_errorguard.ui.render import render
from airflow_errorguard.ui.services import circuits as service

router = APIRouter(include_in_schema=False)


@router.get("/circuits", response_class=HTMLResponse)
def circuits(request: Request, user: GetUserDep) -> HTMLResponse:
    with pinned_reads():
        pages = service.pages(now=get_hook().database.clock())
    return render(
        request,
        "circuits.html",
        section="circuits",
        user_name=access.user_name(user),
        circuits=pages,
        can_control=access.is_admin(user),
    )


@router.get("/circuits/{name}", response_class=HTMLResponse)
def circuit(name: str, request: Request, user: GetUserDep) -> HTMLResponse:
    with pinned_reads():
        page = service.page(name, now=get_hook().database.clock(), span=service.DETAIL_SPAN)
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No circuit named {name!r}")
    return render(
        request,
        "circuit_detail.html",
        section="circuits",
        user_name=access.user_name(user),
        p=page,
        can_control=access.is_admin(user),
        actions=ops.CIRCUIT_ACTIONS,
    )
