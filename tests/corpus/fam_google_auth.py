"""google-auth: refreshing OAuth credentials against a scripted token endpoint (RFC 6749 error
codes, 5xx and 429 that google-auth marks retryable, a response without a token), a token endpoint
that is down, and Application Default Credentials pointing at missing or broken files."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import google.auth
import google.auth.transport.requests as google_requests
from google.oauth2 import _client as oauth_client
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials

from tests.corpus.model import C, D, Family, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import Reply, ScriptedHTTP, free_port

NEEDS_TMP = True


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    http = serve(closing, ScriptedHTTP())
    request = google_requests.Request()
    token_uri = http.url("/token")
    # google-auth retries a retryable refresh (5xx, 429) three times with back-off; the corpus asks
    # once where the client lets it (can_retry, google-auth 2.7+), as a task's own retry would.
    once = (
        {"can_retry": False}
        if "can_retry" in inspect.signature(oauth_client.refresh_grant).parameters
        else {}
    )

    def refresh(reply: Reply, direct: bool = False) -> Any:
        def run() -> None:
            http.next = reply
            if direct:
                oauth_client.refresh_grant(request, token_uri, "r", "c", "s", **once)
            else:
                Credentials(
                    None, refresh_token="r", token_uri=token_uri, client_id="c", client_secret="s"
                ).refresh(request)

        return run

    for name, reply, direct, accept, why in (
        (
            "invalid-grant",
            Reply(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
            False,
            C,
            "the refresh token is revoked",
        ),
        (
            "invalid-client",
            Reply(401, {"error": "invalid_client"}),
            False,
            C,
            "the client id/secret is wrong",
        ),
        (
            "invalid-scope",
            Reply(400, {"error": "invalid_scope"}),
            False,
            C,
            "a scope the client may not ask for",
        ),
        (
            "unauthorized-client",
            Reply(400, {"error": "unauthorized_client"}),
            False,
            C,
            "the client may not use this grant",
        ),
        ("server-error", Reply(500, {"error": "server_error"}), True, T, "the token endpoint failed"),
        (
            "unavailable",
            Reply(503, {"error": "temporarily_unavailable"}),
            True,
            T,
            "the token endpoint is overloaded",
        ),
        ("rate-limited", Reply(429, {"error": "rate_limit_exceeded"}), True, T, "too many token requests"),
        ("no-token", Reply(200, {"token_type": "Bearer"}), False, {T, C}, "a 200 without an access token"),
    ):
        family.add(name, refresh(reply, direct), accept, why)
    family.add(
        "endpoint-down",
        lambda: Credentials(
            None,
            refresh_token="r",
            token_uri=f"http://127.0.0.1:{free_port()}/token",
            client_id="c",
            client_secret="s",
        ).refresh(request),
        T,
        "the token endpoint refuses connections",
    )
    (tmp / "ga-bad.json").write_text("{bad")
    (tmp / "ga-partial.json").write_text(json.dumps({"type": "service_account"}))
    (tmp / "ga-type.json").write_text(json.dumps({"type": "weird"}))
    for name, path, why in (
        ("adc-missing", tmp / "nowhere" / "sa.json", "GOOGLE_APPLICATION_CREDENTIALS names a missing file"),
        ("adc-not-json", tmp / "ga-bad.json", "the credentials file is not JSON"),
        ("adc-incomplete", tmp / "ga-partial.json", "a service-account file missing fields"),
        ("adc-type", tmp / "ga-type.json", "a credentials file of an unknown type"),
    ):
        family.add(name, lambda p=path: _default_with(p), C, why)
    family.add(
        "sa-bad-key",
        lambda: service_account.Credentials.from_service_account_info(
            {"client_email": "x@example.com", "token_uri": token_uri, "private_key": "not a key"}
        ),
        C,
        "a service-account private key that does not load",
    )
    family.add(
        "sa-missing-fields",
        lambda: service_account.Credentials.from_service_account_info({}),
        {C, D},
        "empty info",
    )


def _default_with(path: Path) -> None:
    saved = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = str(path)
    try:
        google.auth.default()
    finally:
        if saved is None:
            os.environ.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
        else:
            os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = saved
