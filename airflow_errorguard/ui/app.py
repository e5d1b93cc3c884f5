"""The errorguard FastAPI app: JSON API under ``/api``, HTML pages, errors as JSON or HTML."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from airflow_errorguard.exceptions import ErrorGuardStorageError
from airflow_errorguard.manage.filters import FilterError
from airflow_errorguard.ui.render import SECURITY_HEADERS, render

log = logging.getLogger(__name__)
_TITLES = {401: "Please log in", 403: "Not allowed", 404: "Not found", 400: "Bad request"}


def _wants_json(request: Request) -> bool:
    root = str(request.scope.get("root_path", ""))
    return request.url.path.startswith(f"{root}/api/") or request.url.path.startswith("/api/")


def _error(request: Request, status_code: int, detail: object) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status_code, headers=SECURITY_HEADERS)
    from airflow_errorguard.ui.access import login_url

    return render(
        request,
        "error.html",
        status_code=status_code,
        title=_TITLES.get(status_code, "Error"),
        detail=detail if isinstance(detail, str) else "The request is not valid.",
        login_url=login_url() if status_code == 401 else None,
    )


def create_app() -> FastAPI:
    """Build the app (routes import Airflow's security module, so call this in the api-server)."""
    from airflow_errorguard.ui.api import circuits as api_circuits
    from airflow_errorguard.ui.api import incidents as api_incidents
    from airflow_errorguard.ui.api import quarantine as api_quarantine
    from airflow_errorguard.ui.pages import circuits as circuit_pages
    from airflow_errorguard.ui.pages import incidents as incident_pages
    from airflow_errorguard.ui.pages import quarantine as quarantine_pages

    # No schema/docs routes: every route of this app requires a signed-in Airflow user.
    app = FastAPI(title="errorguard", docs_url=None, redoc_url=None, openapi_url=None)
    for module in (
        api_quarantine,
        api_circuits,
        api_incidents,
        quarantine_pages,
        circuit_pages,
        incident_pages,
    ):
        app.include_router(module.router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, exc.detail)

    @app.exception_handler(FilterError)
    async def filter_error(request: Request, exc: FilterError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 422, [{"loc": e.get("loc"), "msg": e.get("msg")} for e in exc.errors()])

    @app.exception_handler(ErrorGuardStorageError)
    async def storage_error(request: Request, exc: ErrorGuardStorageError) -> Response:
        log.exception("errorguard UI: storage failed")
        return _error(request, 503, "errorguard storage is unavailable; see the api-server log")

    return app
