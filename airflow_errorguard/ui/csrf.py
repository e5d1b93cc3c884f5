"""Reject cross-site requests to action routes (a session cookie alone must not change anything)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request, status

#: ``Sec-Fetch-Site`` values a browser sends for requests that may change state.
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _own_origins(request: Request) -> set[str]:
    origins = {_origin(str(request.base_url))}
    host = request.headers.get("host")
    if host:
        origins.update({f"http://{host}".lower(), f"https://{host}".lower()})
    try:
        from airflow.configuration import conf

        base_url = conf.get("api", "base_url", fallback="")
        if base_url:
            origins.add(_origin(base_url))
    except Exception:  # configuration unavailable: the request's own origin still applies
        pass
    return origins


def require_same_origin_json(request: Request) -> None:
    """
    FastAPI dependency of every action route.

    The body must be JSON (a cross-site HTML form cannot send ``application/json`` without a CORS
    preflight, which this app never answers); a browser's ``Sec-Fetch-Site`` must say same-origin
    and its ``Origin`` must be this server's.
    """
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "Actions take a JSON body")
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ALLOWED_FETCH_SITES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Cross-site request rejected")
    origin = request.headers.get("origin")
    if origin is not None and _origin(origin) not in _own_origins(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Cross-site request rejected")
