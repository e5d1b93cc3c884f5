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


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, auto_reload=False)
    env.filters["qs"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
    env.filters["dt"] = lambda value: "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")
    return env


def base_path(request: Request) -> str:
    """Where the app is mounted (``/errorguard``, behind any proxy prefix)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(base=base_path(request), request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
