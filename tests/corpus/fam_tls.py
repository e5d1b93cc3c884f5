"""
TLS: clients (``ssl``, ``urllib``, requests, httpx, aiohttp, smtplib, psycopg2-free) against
loopback TLS servers whose certificates are self-signed, for another host name, or expired; and
wrappers that hide the verification failure behind a transient-looking exception, with and without
``from None``. Every verification failure is configuration, never transient.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import httpx
import requests

from tests.corpus.model import C, Family, T
from tests.corpus.servers import Certificates, ScriptedHTTP

NEEDS_TMP = True


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    certs = Certificates(tmp)
    good = ScriptedHTTP(certs.server_context(certs.good))
    other = ScriptedHTTP(certs.server_context(certs.other_host))
    expired = ScriptedHTTP(certs.server_context(certs.expired))
    for server in (good, other, expired):
        closing.append(server.close)
    ca = str(certs.ca)
    untrusted = good.url("/", scheme="https")  # our CA is not in the system store
    mismatch = other.url("/", scheme="https")
    stale = expired.url("/", scheme="https")

    def raw(port: int, cafile: str | None) -> None:
        context = ssl.create_default_context(cafile=cafile)
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
            context.wrap_socket(sock, server_hostname="127.0.0.1"),
        ):
            pass

    family.add("ssl-untrusted", lambda: raw(good.port, None), C, "self-signed chain: CA not trusted")
    family.add("ssl-hostname", lambda: raw(other.port, ca), C, "certificate for another host name")
    family.add("ssl-expired", lambda: raw(expired.port, ca), C, "certificate expired")
    family.add(
        "urllib-untrusted",
        lambda: urllib.request.urlopen(untrusted, timeout=5),
        C,
        "URLError(reason=cert error)",
    )
    family.add(
        "requests-untrusted",
        lambda: requests.get(untrusted, timeout=5),
        C,
        "requests SSLError <- cert verify",
    )
    family.add(
        "requests-hostname",
        lambda: requests.get(mismatch, timeout=5, verify=ca),
        C,
        "requests SSLError <- hostname mismatch",
    )
    family.add(
        "requests-expired",
        lambda: requests.get(stale, timeout=5, verify=ca),
        C,
        "requests SSLError <- expired",
    )
    family.add(
        "httpx-untrusted", lambda: httpx.get(untrusted, timeout=5), C, "httpx ConnectError <- cert verify"
    )
    family.add(
        "httpx-hostname",
        lambda: httpx.get(mismatch, timeout=5, verify=ssl.create_default_context(cafile=ca)),
        C,
        "httpx ConnectError <- hostname mismatch",
    )

    async def aio(url: str) -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=5)),
        ):
            pass

    grpc_channel = grpc.secure_channel(f"127.0.0.1:{good.port}", grpc.ssl_channel_credentials())
    closing.append(grpc_channel.close)
    family.add(
        "grpc-untrusted",
        lambda: grpc_channel.unary_unary("/corpus.Failing/Call")(b"x", timeout=5),
        C,
        "UNAVAILABLE whose details say the certificate did not verify: configuration, not an outage",
    )
    family.add("aiohttp-untrusted", lambda: asyncio.run(aio(untrusted)), C, "ClientConnectorCertificateError")

    def hidden(call: Any, outer: type[BaseException], suppress: bool) -> Any:
        def run() -> None:
            try:
                call()
            except Exception as exc:
                if suppress:
                    raise outer("could not reach the API") from None
                raise outer("could not reach the API") from exc

        return run

    fetch = lambda: requests.get(untrusted, timeout=5)  # noqa: E731
    family.add(
        "wrapped-connectionerror-from-none",
        hidden(fetch, ConnectionError, suppress=True),
        C,
        "ConnectionError(...) from None: the cert failure survives only as the suppressed __context__",
    )
    family.add(
        "wrapped-runtimeerror-from-none",
        hidden(fetch, RuntimeError, suppress=True),
        C,
        "RuntimeError from None over a cert failure",
    )
    family.add(
        "wrapped-timeouterror-cause",
        hidden(lambda: raw(other.port, ca), TimeoutError, suppress=False),
        C,
        "TimeoutError raised from a hostname mismatch: the cause decides",
    )

    def in_handler() -> None:
        try:
            requests.get(mismatch, timeout=5, verify=ca)
        except requests.exceptions.SSLError:
            raise OSError("upload failed") from None

    family.add("oserror-from-none", in_handler, C, "OSError from None over hostname mismatch")
    _protocol_mismatch_cases(family, closing)
    family.add(
        "plain-http-to-tls",
        lambda: requests.get(good.url("/"), timeout=5),
        {T, C},
        "plain HTTP to a TLS port: the server drops it (protocol/setting mismatch)",
    )
    family.add(
        "ok-then-timeout",
        lambda: requests.get(good.url("/slow", scheme="https"), timeout=0.2, verify=ca),
        T,
        "TLS verified fine, then a read timeout: transient",
    )


def _protocol_mismatch_cases(family: Family, closing: list[Any]) -> None:
    """TLS spoken to a plain port."""
    plain = ScriptedHTTP()
    closing.append(plain.close)
    https_to_plain = plain.url("/", scheme="https")
    family.add(
        "requests-https-to-plain",
        lambda: requests.get(https_to_plain, timeout=5),
        C,
        "TLS spoken to a plain port (wrong version number): a wrong URL or port",
    )
    family.add(
        "httpx-https-to-plain",
        lambda: httpx.get(https_to_plain, timeout=5),
        C,
        "WRONG_VERSION_NUMBER via httpx",
    )
    family.add(
        "smtp-ssl-to-plain",
        lambda: smtplib.SMTP_SSL("127.0.0.1", plain.port, timeout=5),
        C,
        "SMTP_SSL to a plain port: the port or TLS mode is wrong",
    )
