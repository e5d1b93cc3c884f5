"""
HTTP facts of one exception: the response status, the ``Retry-After`` the service asked for and
the host of the request that failed. Read through :mod:`.safe_read`, never raising.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, cast

from airflow_errorguard.classification.safe_read import dict_get, safe_getattr, safe_str


def as_status(value: Any) -> int | None:
    """*value* as an HTTP status (100-599), or ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    # http.HTTPStatus is an int; some libraries hold the status as a numeric string.
    if isinstance(value, str) and len(value) == 3 and value.isdigit():
        number = int(value)
        return number if 100 <= number <= 599 else None
    return None


def parse_retry_after(value: Any, now: Callable[[], float] = time.time) -> timedelta | None:
    """Parse a ``Retry-After`` header: delta-seconds or an HTTP-date. ``None`` when unusable."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            seconds = float(text)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
            if when is None or when.tzinfo is None:
                return None
            seconds = when.timestamp() - now()
    else:
        return None
    if math.isnan(seconds):
        return None
    if seconds < 0:  # a date in the past: retry now
        return timedelta(0)
    return timedelta(seconds=min(seconds, 86400.0 * 7))


#: Header mappings (exact classes, by dotted path) whose ``get`` ignores case: one look-up finds
#: what the lower-case name would (requests, httpx, aiohttp's multidict, urllib3).
CASELESS_HEADERS = frozenset(
    {
        "requests.structures.CaseInsensitiveDict",
        "httpx.Headers",
        "multidict._multidict.CIMultiDict",
        "multidict._multidict.CIMultiDictProxy",
        "urllib3._collections.HTTPHeaderDict",
    }
)
_CASELESS: dict[type, bool] = {}


def _caseless(kind: type) -> bool:
    """Whether headers of exact class *kind* are looked up ignoring case (cached per class)."""
    found = _CASELESS.get(kind)
    if found is None:
        found = f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', '')}" in CASELESS_HEADERS
        if len(_CASELESS) < 256:
            _CASELESS[kind] = found
    return found


def header(headers: Any, name: str) -> Any:
    """Header *name* (or its lower-case form) of a headers mapping, or ``None``."""
    if headers is None:
        return None
    getter = safe_getattr(headers, "get")
    if getter is None:
        return None
    try:
        value = getter(name)
        if value is None and not _caseless(type(headers)):
            value = getter(name.lower())
    except BaseException:
        return None
    return value


def retry_after_value(response: Any, get: Callable[[str], Any]) -> Any:
    """The raw ``Retry-After`` of a *response* (botocore dict or response object), else the
    exception's own ``headers`` / ``retry_after`` read through *get*."""
    value = None
    if isinstance(response, dict):  # botocore: lower-cased header dict
        meta = dict_get(response, "ResponseMetadata")
        headers = dict_get(meta, "HTTPHeaders") if isinstance(meta, dict) else None
        value = header(headers, "retry-after")
    elif response is not None:
        value = header(safe_getattr(response, "headers"), "Retry-After")
    if value is None:
        value = header(get("headers"), "Retry-After")
    if value is None:
        value = get("retry_after")
    return value


def request_host(holders: Iterable[Any]) -> str | None:
    """Host of the first request URL found on *holders* (response, request, request info)."""
    for holder in holders:
        if holder is None or isinstance(holder, dict):
            continue
        url = safe_getattr(holder, "url")
        if url is None:
            url = safe_getattr(safe_getattr(holder, "request_info"), "url")
        if type(url) is str:  # the common URL: its host kept (a str's text is itself)
            kept = _HOSTS.get(url, _NO_HOST)
            if kept is not _NO_HOST:
                if kept is None:
                    continue
                return cast(str, kept)
        text = safe_str(url) if url is not None else ""
        host = text.split("://", 1)[1].split("/", 1)[0].split("@")[-1][:200] if "://" in text else None
        if type(url) is str:
            if len(_HOSTS) >= 512:
                _HOSTS.clear()
            _HOSTS[url] = host
        if host is not None:
            return host
    return None


def host_of(response: Any, get: Callable[[str], Any]) -> str | None:
    """Host of the request that failed: the *response*'s URL, else the exception's ``request`` or
    ``request_info`` read through *get* (only when the response says none)."""
    host = request_host((response,)) if response is not None else None
    return request_host((get("request"), get("request_info"))) if host is None else host


#: Hosts of URLs given as ``str`` (``None``: no scheme), bounded.
_HOSTS: dict[str, str | None] = {}
_NO_HOST = object()


__all__ = ["as_status", "header", "host_of", "parse_retry_after", "request_host", "retry_after_value"]
