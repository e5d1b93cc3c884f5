"""
HTTP clients beyond status codes: connect vs read timeouts, pool timeouts, redirect loops, broken
chunked and truncated bodies, undecodable content, proxies that refuse or want credentials, URLs
and headers the client rejects before sending, and statuses the ``http`` family does not raise.
requests, httpx, urllib3, urllib and aiohttp against loopback servers.
"""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any

import aiohttp
import httpx
import requests
import urllib3

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import FullBacklog, RawServer, serve
from tests.corpus.servers import Reply, ScriptedHTTP, free_port

CHUNKED_BROKEN = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"
TRUNCATED = b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n\r\n{"id": 1'
NOT_HTTP = b"SSH-2.0-OpenSSH_9.6\r\n"
PROXY_407 = (
    b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n"
)
PROXY_502 = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"

MORE_STATUSES = {
    405: (C, "method not allowed: a wrong endpoint"),
    410: ({C, D}, "gone: the resource or API version was retired"),
    412: ({D, T}, "precondition failed: the resource changed under us"),
    413: (D, "payload too large"),
    415: (C, "unsupported media type: the client sends the wrong content type"),
    423: (T, "locked: try later"),
    501: (C, "not implemented: wrong method or endpoint"),
    507: ({S, T}, "insufficient storage on the server"),
}


async def _aio(url: str, *, timeout: float = 5, max_redirects: int = 10, read_json: bool = False) -> None:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
        session.get(url, max_redirects=max_redirects) as response,
    ):
        if read_json:
            await response.json()
        else:
            await response.read()
        response.raise_for_status()


def build(family: Family, closing: list[Any]) -> None:  # noqa: PLR0915 (one statement per case)
    http = serve(closing, ScriptedHTTP())
    backlog = serve(closing, FullBacklog())
    chunked = serve(closing, RawServer(CHUNKED_BROKEN))
    truncated = serve(closing, RawServer(TRUNCATED))
    silent = serve(closing, RawServer(b""))
    not_http = serve(closing, RawServer(NOT_HTTP))
    proxy_407 = serve(closing, RawServer(PROXY_407))
    proxy_502 = serve(closing, RawServer(PROXY_502))
    hanging = f"http://127.0.0.1:{backlog.port}/v1/items"
    closed = free_port()

    def loop() -> None:
        http.next = Reply(302, b"", {"Location": "/loop"})

    def gzip_garbage() -> None:
        http.next = Reply(200, b"this is not gzip", {"Content-Encoding": "gzip"})

    def text_body() -> None:
        http.next = Reply(200, b"<html>maintenance page</html>", {"Content-Type": "text/html"})

    def run(setup: Any, call: Any) -> Any:
        def go() -> Any:
            setup()
            return call()

        return go

    # -- timeouts: connect (nobody accepts) vs read (the server is slow) vs pool ------------------
    family.add(
        "requests-connect-timeout", lambda: requests.get(hanging, timeout=(0.2, 5)), T, "connect timeout"
    )
    family.add("httpx-connect-timeout", lambda: httpx.get(hanging, timeout=0.2), T, "connect timeout")
    family.add(
        "urllib3-connect-timeout",
        lambda: urllib3.PoolManager(retries=False).request(
            "GET", hanging, timeout=urllib3.Timeout(connect=0.2)
        ),
        T,
        "urllib3 ConnectTimeoutError",
    )
    family.add(
        "urllib3-retries-exhausted",
        lambda: urllib3.PoolManager(retries=urllib3.Retry(1, backoff_factor=0)).request(
            "GET", hanging, timeout=urllib3.Timeout(connect=0.1)
        ),
        T,
        "MaxRetryError wrapping a connect timeout",
    )
    family.add(
        "urllib-connect-timeout", lambda: urllib.request.urlopen(hanging, timeout=0.2), T, "socket timeout"
    )
    family.add(
        "aiohttp-total-timeout",
        lambda: asyncio.run(_aio(http.url("/slow"), timeout=0.1)),
        T,
        "asyncio timeout",
    )
    family.add(
        "aiohttp-connect-timeout", lambda: asyncio.run(_aio(hanging, timeout=0.2)), T, "connect timeout"
    )

    def pool_timeout() -> None:
        limits = httpx.Limits(max_connections=1)
        with (
            httpx.Client(limits=limits, timeout=httpx.Timeout(5, pool=0.1)) as client,
            client.stream("GET", http.url("/held")),
        ):
            client.get(http.url("/second"))

    family.add("httpx-pool-timeout", pool_timeout, T, "no connection free in the pool in time")
    family.add(
        "urllib3-read-timeout",
        lambda: urllib3.PoolManager(retries=False).request("GET", http.url("/slow"), timeout=0.1),
        T,
        "urllib3 ReadTimeoutError",
    )
    # -- the peer hangs up, sends broken framing or is not HTTP -----------------------------------
    family.add("requests-chunked", lambda: requests.get(chunked.url(), timeout=5), T, "broken chunked body")
    family.add("httpx-chunked", lambda: httpx.get(chunked.url(), timeout=5), T, "broken chunked body")
    family.add("requests-truncated", lambda: requests.get(truncated.url(), timeout=5), T, "truncated body")
    family.add("httpx-truncated", lambda: httpx.get(truncated.url(), timeout=5), T, "truncated body")
    family.add(
        "aiohttp-truncated", lambda: asyncio.run(_aio(truncated.url())), T, "ClientPayloadError: truncated"
    )
    family.add(
        "urllib-truncated",
        lambda: urllib.request.urlopen(truncated.url(), timeout=5).read(),
        T,
        "http.client.IncompleteRead",
    )
    family.add("requests-hangup", lambda: requests.get(silent.url(), timeout=5), T, "RemoteDisconnected")
    family.add("httpx-hangup", lambda: httpx.get(silent.url(), timeout=5), T, "server disconnected")
    family.add("aiohttp-hangup", lambda: asyncio.run(_aio(silent.url())), T, "ServerDisconnectedError")
    family.add(
        "requests-not-http",
        lambda: requests.get(not_http.url(), timeout=5),
        {C, T},
        "the port speaks another protocol: a wrong port, or a broken peer",
    )
    family.add("httpx-not-http", lambda: httpx.get(not_http.url(), timeout=5), {C, T}, "another protocol")
    family.add("aiohttp-refused", lambda: asyncio.run(_aio(f"http://127.0.0.1:{closed}/")), T, "refused")
    family.add(
        "urllib3-refused",
        lambda: urllib3.PoolManager(retries=False).request("GET", f"http://127.0.0.1:{closed}/"),
        T,
        "NewConnectionError: refused",
    )
    # -- redirects and bodies ---------------------------------------------------------------------
    family.add(
        "requests-redirect-loop",
        run(loop, lambda: requests.get(http.url("/loop"), timeout=5)),
        C,
        "a redirect loop: the URL or the service's routing is wrong",
    )
    family.add(
        "httpx-redirect-loop",
        run(loop, lambda: httpx.get(http.url("/loop"), timeout=5, follow_redirects=True)),
        C,
        "redirect loop",
    )
    family.add(
        "aiohttp-redirect-loop",
        run(loop, lambda: asyncio.run(_aio(http.url("/loop"), max_redirects=3))),
        C,
        "aiohttp TooManyRedirects",
    )
    family.add(
        "urllib-redirect-loop",
        run(loop, lambda: urllib.request.urlopen(http.url("/loop"), timeout=5)),
        C,
        "urllib HTTPError 302 'infinite loop'",
    )
    family.add(
        "requests-bad-gzip",
        run(gzip_garbage, lambda: requests.get(http.url("/gz"), timeout=5)),
        {D, T},
        "the body is not the encoding the server declared",
    )
    family.add(
        "httpx-bad-gzip",
        run(gzip_garbage, lambda: httpx.get(http.url("/gz"), timeout=5)),
        {D, T},
        "httpx DecodingError",
    )
    family.add(
        "requests-json-of-html",
        run(text_body, lambda: requests.get(http.url("/page"), timeout=5).json()),
        {D, T},
        "a maintenance page where JSON was expected",
    )
    family.add(
        "httpx-json-of-html",
        run(text_body, lambda: httpx.get(http.url("/page"), timeout=5).json()),
        {D, T},
        "json.JSONDecodeError from httpx",
    )
    family.add(
        "aiohttp-content-type",
        run(text_body, lambda: asyncio.run(_aio(http.url("/page"), read_json=True))),
        {D, T},
        "ContentTypeError: text/html where JSON was expected",
    )
    # -- proxies ---------------------------------------------------------------------------------
    family.add(
        "requests-proxy-407",
        lambda: requests.get("https://api.example.com/", proxies={"https": proxy_407.url()}, timeout=5),
        C,
        "the proxy wants credentials",
    )
    family.add(
        "httpx-proxy-407",
        lambda: httpx.get("https://api.example.com/", proxy=proxy_407.url(), timeout=5),
        C,
        "the proxy wants credentials",
    )
    family.add(
        "requests-proxy-502",
        lambda: requests.get("https://api.example.com/", proxies={"https": proxy_502.url()}, timeout=5),
        T,
        "the proxy cannot reach the upstream right now",
    )
    family.add(
        "requests-proxy-refused",
        lambda: requests.get(
            "http://api.example.com/", proxies={"http": f"http://127.0.0.1:{closed}"}, timeout=5
        ),
        {T, C},
        "the proxy is down, or the proxy address is wrong",
    )
    # -- requests the client refuses to send -----------------------------------------------------
    family.add(
        "requests-missing-schema", lambda: requests.get("api.example.com/v1", timeout=5), C, "no scheme"
    )
    family.add("requests-invalid-url", lambda: requests.get("http://", timeout=5), C, "no host")
    family.add(
        "requests-invalid-header",
        lambda: requests.get(http.url("/"), headers={"Authorization": "Bearer x\n"}, timeout=5),
        C,
        "a header value with a newline (a token read with its trailing newline)",
    )
    family.add("httpx-unsupported-protocol", lambda: httpx.get("ftp://127.0.0.1/x"), C, "wrong scheme")
    family.add("httpx-missing-scheme", lambda: httpx.get("api.example.com/v1"), C, "no scheme")
    family.add(
        "urllib-relative-url",
        lambda: urllib.request.urlopen("api/v1/items", timeout=5),
        C,
        "ValueError 'unknown url type': a URL without a scheme",
    )
    family.add(
        "urllib-unknown-scheme",
        lambda: urllib.request.urlopen("foo://bar/x", timeout=5),
        C,
        "unknown url type",
    )
    family.add("aiohttp-invalid-url", lambda: asyncio.run(_aio("not a url")), C, "InvalidUrlClientError")
    family.add(
        "urllib3-bad-url",
        lambda: urllib3.PoolManager().request("GET", "http://[::1/"),
        C,
        "LocationParseError",
    )
    # -- statuses the http family does not raise -------------------------------------------------
    for status, (accept, why) in MORE_STATUSES.items():
        family.add(
            f"requests-{status}",
            lambda s=status: requests.get(http.url(f"/status/{s}/v1/x"), timeout=5).raise_for_status(),
            accept,
            f"{status}: {why}",
        )
    for status in (410, 413, 501):
        accept, why = MORE_STATUSES[status]
        family.add(
            f"aiohttp-{status}",
            lambda s=status: asyncio.run(_aio(http.url(f"/status/{s}"))),
            accept,
            f"{status}: {why}",
        )
