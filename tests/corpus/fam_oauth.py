"""requests-oauthlib / oauthlib against a scripted OAuth 2 token endpoint: RFC 6749 error codes in
the token response (``invalid_client``, ``invalid_grant``, ``temporarily_unavailable``...), a token
response without a token, an expired token on a protected resource, and plain-HTTP endpoints."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from oauthlib.oauth2 import BackendApplicationClient, WebApplicationClient
from requests_oauthlib import OAuth2Session

from tests.corpus.fam_wider_http import answering
from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import Reply, ScriptedHTTP, free_port


@contextmanager
def _plain_http_allowed() -> Iterator[None]:
    """oauthlib refuses http:// unless told otherwise; the loopback server speaks plain HTTP."""
    before = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = before


def _error(status: int, code: str, description: str, **headers: str) -> Reply:
    body = {"error": code, "error_description": description}
    return Reply(status, body, {"Content-Type": "application/json", **headers})


def build(family: Family, closing: list[Any]) -> None:
    http = serve(closing, ScriptedHTTP())
    token_url = http.url("/oauth2/token")

    def fetch(url: str = token_url) -> Callable[[], Any]:
        def run() -> None:
            with _plain_http_allowed():
                session = OAuth2Session(client=BackendApplicationClient(client_id="etl-ingest"))
                session.fetch_token(token_url=url, client_id="etl-ingest", client_secret="s3cret", timeout=3)

        return run

    for name, reply, accept, why in (
        ("invalid-client", _error(401, "invalid_client", "Client authentication failed"), C, "wrong secret"),
        ("invalid-grant", _error(400, "invalid_grant", "The refresh token is expired"), C, "revoked grant"),
        ("unauthorized", _error(400, "unauthorized_client", "Grant type not allowed"), C, "client setup"),
        ("scope", _error(400, "invalid_scope", "Scope 'warehouse.write' is unknown"), C, "bad scope"),
        ("grant-type", _error(400, "unsupported_grant_type", "Grant not supported"), C, "wrong flow"),
        ("denied", _error(403, "access_denied", "The resource owner denied the request"), C, "denied"),
        ("request", _error(400, "invalid_request", "Missing parameter: audience"), C, "a missing parameter"),
        (
            "unavailable",
            _error(503, "temporarily_unavailable", "Try again later", **{"Retry-After": "5"}),
            T,
            "the IdP is overloaded",
        ),
        ("server-error", _error(500, "server_error", "Unexpected condition"), T, "the IdP failed"),
        ("slow-down", _error(400, "slow_down", "Polling too fast"), T, "RFC 8628 slow_down"),
        (
            "no-token",
            Reply(200, {"token_type": "Bearer", "expires_in": 3600}, {"Content-Type": "application/json"}),
            {C, S},
            "a token response without access_token: a wrong endpoint",
        ),
        (
            "html",
            Reply(200, b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"}),
            {C, S},
            "an HTML login page instead of a token: a wrong token URL",
        ),
    ):
        family.add(f"token-{name}", answering(http, reply, fetch()), accept, f"OAuth token endpoint: {why}")

    family.add("token-refused", fetch(f"http://127.0.0.1:{free_port()}/token"), T, "IdP not listening")

    def insecure() -> None:
        session = OAuth2Session(client=BackendApplicationClient(client_id="etl-ingest"))
        session.fetch_token(token_url=token_url, client_id="etl-ingest", client_secret="s3cret")

    family.add("insecure-transport", insecure, C, "an http:// token URL: OAuth 2 requires TLS")

    def expired() -> None:
        token = {"access_token": "abc", "token_type": "Bearer", "expires_at": time.time() - 60}
        with _plain_http_allowed():
            OAuth2Session("etl-ingest", token=token).get(http.url("/api/orders"), timeout=3)

    family.add("token-expired", expired, {C, T}, "an expired token and no refresh configured")

    def bad_token_type() -> None:
        client = WebApplicationClient("etl-ingest", access_token="abc", token_type="DPoP")
        client.add_token("https://api.example.test/orders")

    family.add("token-type", bad_token_type, C, "an unsupported token type")

    def bad_json() -> None:
        WebApplicationClient("etl-ingest").parse_request_body_response("{not json", scope=None)

    family.add("parse-body", bad_json, {D, C, S}, "an unparsable token response body")
