"""HTML pages of incidents, top error patterns, error budgets and the pictures over time."""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from airflow_errorguard.ui import access
from airflow_errorguard.ui.api.incidents import parse_window
from airflow_errorguard.ui.hook import pinned_reads
from airflow_errorguard.ui.render import render
from airflow_errorguard.ui.services import incidents as incidents_service

router = APIRouter(include_in_schema=False)


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request, user: GetUserDep) -> HTMLResponse:
    window = parse_window(request)
    trend_range, trend_by = incidents_service.parse_trend(request.query_params)
    with pinned_reads():
        view = incidents_service.overview(user, **window)
        trends = incidents_service.trend_pictures(
            user, range_name=trend_range, by=trend_by, dag_id=window["dag_id"]
        )
    return render(
        request,
        "incidents.html",
        section="incidents",
        user_name=access.user_name(user),
        view=view,
        window=window,
        trends=trends,
        trend_range=trend_range,
        trend_by=trend_by,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident(incident_id: int, request: Request, user: GetUserDep) -> HTMLResponse:
    with pinned_reads():
        page = incidents_service.incident(user, incident_id)
    return render(
        request,
        "incident_detail.html",
        section="incidents",
        user_name=access.user_name(user),
        p=page,
    )
