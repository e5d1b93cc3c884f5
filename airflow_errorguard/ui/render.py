"""Jinja2 rendering of the HTML pages (autoescaping always on) and their security headers."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

#: Sent with every page: only our own scripts and styles, framed only by the Airflow UI.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


#: Characters of an error message the list shows before "more".
SHORT_ERROR = 140


def short_error(error_type: str | None, message: str | None) -> tuple[str, bool]:
    """
    The useful part of an error for a table cell, and whether it was shortened: the exception's
    class name and the message's last non-empty line (where a wrapped or multi-line error says
    what went wrong), cut to :data:`SHORT_ERROR` characters.
    """
    name = (error_type or "").rsplit(".", 1)[-1]
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    full = f"{name}: {text}" if name and text else name or text
    shortened = len(lines) > 1 or len(full) > SHORT_ERROR
    if len(full) > SHORT_ERROR:
        full = full[: SHORT_ERROR - 1].rstrip() + "…"
    return full, shortened


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, auto_reload=False)
    env.filters["qs"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
    env.filters["dt"] = lambda value: "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")
    env.filters["short_error"] = short_error
    from airflow_errorguard.manage import links

    env.globals["links"] = links
    return env


def base_path(request: Request) -> str:
    """Where the app is mounted (``/errorguard``, behind any proxy prefix)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


#: Where the plugin mounts this app and the route of its page in the Airflow UI (plugins/errorguard.py).
MOUNT = "/errorguard"
PLUGIN_ROUTE = "errorguard"


def airflow_base(request: Request) -> str:
    """Airflow's own base path (the mount point without ``/errorguard``; empty at the root)."""
    base = base_path(request)
    return base[: -len(MOUNT)] if base.endswith(MOUNT) else ""


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = (
        environment()
        .get_template(template)
        .render(
            base=base_path(request),
            airflow_base=airflow_base(request),
            plugin_route=PLUGIN_ROUTE,
            request=request,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
