"""HTTP: requests, httpx, urllib and aiohttp against a scripted loopback server answering each status."""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any

import aiohttp
import httpx
import requests

from tests.corpus.model import C, D, Family, T
from tests.corpus.servers import ScriptedHTTP, free_port

STATUSES = {
    400: (D, "bad request: the payload was rejected"),
    401: (C, "credentials missing or invalid"),
    403: (C, "credentials lack permission"),
    404: ({C, D}, "not found: a wrong URL or a missing record"),
    408: (T, "request timeout"),
    409: ({D, T}, "conflict with the resource's state"),
    422: (D, "validation failed"),
    429: (T, "rate limited"),
    500: (T, "server error"),
    502: (T, "bad gateway"),
    503: (T, "unavailable"),
    504: (T, "gateway timeout"),
}


def build(family: Family, closing: list[Any]) -> None:
    http = ScriptedHTTP()
    closing.append(http.close)

    def via_requests(status: int) -> Any:
        return lambda: requests.get(
            http.url(f"/status/{status}/v1/customers/42"), timeout=5
        ).raise_for_status()

    def via_httpx(status: int) -> Any:
        return lambda: httpx.get(http.url(f"/status/{status}/v1/orders/7"), timeout=5).raise_for_status()

    def via_urllib(status: int) -> Any:
        return lambda: urllib.request.urlopen(http.url(f"/status/{status}"), timeout=5)

    async def aio(status: int) -> None:
        async with (
            aiohttp.ClientSession(raise_for_status=True) as session,
            session.get(http.url(f"/status/{status}")),
        ):
            pass

    for status, (accept, why) in STATUSES.items():
        family.add(f"requests-{status}", via_requests(status), accept, f"{status}: {why}")
    for status in (401, 404, 429, 503):
        accept, why = STATUSES[status]
        family.add(f"httpx-{status}", via_httpx(status), accept, f"{status}: {why}")
        family.add(f"urllib-{status}", via_urllib(status), accept, f"{status}: {why}")
        family.add(f"aiohttp-{status}", lambda s=status: asyncio.run(aio(s)), accept, f"{status}: {why}")
    refused = f"http://127.0.0.1:{free_port()}/"
    family.add("requests-refused", lambda: requests.get(refused, timeout=5), T, "connection refused")
    family.add("httpx-refused", lambda: httpx.get(refused, timeout=5), T, "connection refused")
    family.add(
        "urllib-refused", lambda: urllib.request.urlopen(refused, timeout=5), T, "URLError(ECONNREFUSED)"
    )
    family.add("requests-timeout", lambda: requests.get(http.url("/slow"), timeout=0.1), T, "read timeout")
    family.add("httpx-timeout", lambda: httpx.get(http.url("/slow"), timeout=0.1), T, "read timeout")
    unknown = "http://no-such-host.invalid/v1/items"
    family.add("requests-unknown-host", lambda: requests.get(unknown, timeout=5), C, "EAI_NONAME: wrong host")
    family.add("httpx-unknown-host", lambda: httpx.get(unknown, timeout=5), C, "EAI_NONAME via httpx")

    async def aio_unknown() -> None:
        async with aiohttp.ClientSession() as session, session.get(unknown):
            pass

    family.add("aiohttp-unknown-host", lambda: asyncio.run(aio_unknown()), C, "ClientConnectorDNSError")
    family.add(
        "requests-bad-scheme",
        lambda: requests.get("htp://127.0.0.1/", timeout=5),
        C,
        "no adapter for the scheme",
    )
