"""Tornado's HTTP client (``tornado.httpclient``, the simple asyncio client) against scripted HTTP and
TLS servers: ``HTTPClientError.code`` for every status family, its own 599 for timeouts, stream
closes, redirect limits and certificate failures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tornado.httpclient import HTTPClient

from tests.corpus.fam_wider_http import answering
from tests.corpus.model import C, D, Family, T
from tests.corpus.rawservers import RawServer, serve
from tests.corpus.servers import Certificates, Reply, ScriptedHTTP, free_port

NEEDS_TMP = True


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    logging.getLogger("tornado.general").setLevel(logging.CRITICAL)  # its "SSL Error on" lines
    http = serve(closing, ScriptedHTTP())
    client = HTTPClient()
    closing.append(client.close)

    def fetch(url: str, **options: Any) -> Callable[[], Any]:
        def run() -> None:
            client.fetch(url, **{"request_timeout": 3, "connect_timeout": 3, **options})

        return run

    api = http.url("/api/orders")
    for status, accept, why in (
        (400, {D, C}, "a rejected request"),
        (401, C, "missing or wrong credentials"),
        (403, C, "no permission"),
        (404, {C, D}, "a wrong URL or a missing resource"),
        (409, {T, D}, "a conflict"),
        (422, D, "the payload was rejected"),
        (429, T, "rate limited"),
        (500, T, "the server failed"),
        (502, T, "a bad gateway"),
        (503, T, "the service is unavailable"),
        (504, T, "a gateway timeout"),
    ):
        reply = Reply(status, {"error": "see status"}, {"Content-Type": "application/json"})
        family.add(f"status-{status}", answering(http, reply, fetch(api)), accept, f"HTTP {status}: {why}")

    family.add("timeout", fetch(http.url("/slow"), request_timeout=0.1), T, "599: the request timed out")
    family.add("refused", fetch(f"http://127.0.0.1:{free_port()}/"), T, "nothing listens on the port")
    family.add(
        "redirects",
        answering(http, Reply(302, b"", {"Location": "/api/orders"}), fetch(api, max_redirects=2)),
        C,
        "a redirect loop: a wrong URL",
    )
    closed = serve(closing, RawServer(b""))
    family.add(
        "stream-closed", fetch(closed.url("/")), T, "the server closed the connection before answering"
    )
    garbage = serve(closing, RawServer(b"SSH-2.0-OpenSSH_9.6\r\n"))
    family.add("not-http", fetch(garbage.url("/")), {C, T}, "the port speaks another protocol")
    family.add("bad-url", fetch("htp://127.0.0.1/api"), C, "an unsupported URL scheme")
    family.add("no-host", fetch("http:///api/orders"), C, "a URL without a host")

    certs = Certificates(tmp)
    good = serve(closing, ScriptedHTTP(certs.server_context(certs.good)))
    other = serve(closing, ScriptedHTTP(certs.server_context(certs.other_host)))
    expired = serve(closing, ScriptedHTTP(certs.server_context(certs.expired)))
    family.add("tls-untrusted", fetch(good.url("/", scheme="https")), C, "a CA not in the trust store")
    family.add(
        "tls-hostname",
        fetch(other.url("/", scheme="https"), ca_certs=str(certs.ca)),
        C,
        "a hostname mismatch",
    )
    family.add(
        "tls-expired", fetch(expired.url("/", scheme="https"), ca_certs=str(certs.ca)), C, "an expired cert"
    )
    family.add(
        "tls-ca-file",
        fetch(good.url("/", scheme="https"), ca_certs=str(tmp / "missing-ca.pem")),
        C,
        "the CA bundle path does not exist",
    )
    family.add("tls-to-plain", fetch(http.url("/", scheme="https")), {C, T}, "https:// to a plain HTTP port")
