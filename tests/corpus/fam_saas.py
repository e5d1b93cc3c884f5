"""SaaS / HTTP API SDKs that data pipelines call (Stripe, GitHub, GitLab, Jira, Twilio,
SendGrid), raised live against the scripted HTTP server on loopback answering each SDK's real error
body: statuses 400 to 503 (429 with and without ``Retry-After``), a refused port, a read timeout,
a self-signed certificate, a malformed JSON body, and an API key the SDK refuses before sending.
Every SDK keeps the HTTP status in its own attribute (``http_status``, ``status``,
``response_code``, ``status_code``). Wave 20 (issue 13), measured before any knowledge change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import github
import gitlab
import jira
import sendgrid
import stripe
from twilio.rest import Client as TwilioClient

from tests.corpus.model import C, D, Family, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import Certificates, Reply, ScriptedHTTP, free_port

NEEDS_TMP = True

_JSON = {"Content-Type": "application/json"}


def _answer(http: ScriptedHTTP, reply: Reply, call: Any) -> Any:
    def run() -> None:
        http.next = reply
        call()

    return run


def _stripe(family: Family, http: ScriptedHTTP, tls: ScriptedHTTP) -> None:
    def client(url: str, key: Any = "sk_test_corpus") -> Any:
        return stripe.StripeClient(
            key,
            base_addresses={"api": url},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=0.3),
        )

    def error(status: int, kind: str, code: str, headers: dict[str, str] | None = None) -> Reply:
        body = {"error": {"type": kind, "code": code, "message": f"{code} (corpus)"}}
        return Reply(status, body, headers)

    api = client(http.url(""))
    get = lambda: api.v1.customers.retrieve("cus_corpus")  # noqa: E731
    for name, reply, accept, why in (
        ("stripe-401", error(401, "invalid_request_error", "api_key_invalid"), C, "the secret key is wrong"),
        (
            "stripe-403",
            error(403, "invalid_request_error", "secret_key_required"),
            C,
            "a restricted key lacks the permission",
        ),
        (
            "stripe-404",
            error(404, "invalid_request_error", "resource_missing"),
            {C, D},
            "the customer id does not exist",
        ),
        (
            "stripe-409",
            error(409, "idempotency_error", "idempotency_key_in_use"),
            {T, D},
            "a concurrent request holds the idempotency key",
        ),
        ("stripe-429", error(429, "invalid_request_error", "rate_limit"), T, "rate limited, no Retry-After"),
        ("stripe-500", error(500, "api_error", "api_error"), T, "a server-side error"),
        ("stripe-bad-json", Reply(200, b"{not json", _JSON), {T, D}, "a body that is not JSON"),
    ):
        family.add(name, _answer(http, reply, get), accept, why)
    family.add(
        "stripe-no-key",
        lambda: client(http.url(""), key=None),
        C,
        "no API key (an unset variable), refused before sending",
    )
    family.add(
        "stripe-refused",
        lambda: client(f"http://127.0.0.1:{free_port()}").v1.customers.retrieve("cus_corpus"),
        T,
        "nothing listens",
    )
    family.add(
        "stripe-timeout",
        lambda: client(http.url("/slow")).v1.customers.retrieve("cus_corpus"),
        T,
        "the server answers after the read timeout",
    )
    family.add(
        "stripe-tls-verify",
        lambda: client(tls.url("", scheme="https")).v1.customers.retrieve("cus_corpus"),
        C,
        "a self-signed server certificate the client does not trust",
    )


def _github(family: Family, http: ScriptedHTTP) -> None:
    def client(url: str) -> github.Github:
        return github.Github(auth=github.Auth.Token("ghp_corpus"), base_url=url, retry=None, timeout=1)

    def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, {"message": message, "documentation_url": "https://docs.github.com"}, headers)

    gh = client(http.url(""))
    get = lambda: gh.get_repo("corpus/pipelines")  # noqa: E731
    for name, reply, accept, why in (
        ("github-401", error(401, "Bad credentials"), C, "the token is wrong or revoked"),
        ("github-403", error(403, "Resource not accessible by integration"), C, "the token lacks the scope"),
        ("github-404", error(404, "Not Found"), {C, D}, "the repository does not exist (or is hidden)"),
        (
            "github-429-retry-after",
            error(429, "You have exceeded a secondary rate limit", {"Retry-After": "2"}),
            T,
            "secondary rate limit with Retry-After",
        ),
        (
            "github-502",
            Reply(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
            T,
            "a proxy in front failed",
        ),
        ("github-422", error(422, "Validation Failed"), D, "the payload did not validate"),
    ):
        family.add(name, _answer(http, reply, get), accept, why)
    family.add(
        "github-refused",
        lambda: client(f"http://127.0.0.1:{free_port()}").get_repo("corpus/pipelines"),
        T,
        "nothing listens",
    )


def _gitlab(family: Family, http: ScriptedHTTP) -> None:
    def client(url: str) -> gitlab.Gitlab:
        return gitlab.Gitlab(url, private_token="glpat-corpus", timeout=0.3, retry_transient_errors=False)

    gl = client(http.url(""))
    get = lambda: gl.projects.get("corpus/pipelines", obey_rate_limit=False)  # noqa: E731
    for name, reply, accept, why in (
        ("gitlab-401", Reply(401, {"message": "401 Unauthorized"}), C, "the private token is wrong"),
        ("gitlab-403", Reply(403, {"message": "403 Forbidden"}), C, "the token lacks access"),
        (
            "gitlab-404",
            Reply(404, {"message": "404 Project Not Found"}),
            {C, D},
            "the project does not exist",
        ),
        (
            "gitlab-429",
            Reply(429, {"message": "Retry later"}, {"Retry-After": "1"}),
            T,
            "rate limited with Retry-After",
        ),
        ("gitlab-503", Reply(503, {"message": "503 Service Unavailable"}), T, "the server is unavailable"),
        (
            "gitlab-bad-json",
            Reply(200, b"<html>login</html>", _JSON),
            {T, C, D},
            "an HTML page where JSON was due",
        ),
    ):
        family.add(name, _answer(http, reply, get), accept, why)
    family.add(
        "gitlab-timeout",
        lambda: client(http.url("/slow")).projects.get("corpus/pipelines"),
        T,
        "read timeout",
    )


def _jira(family: Family, http: ScriptedHTTP, tls: ScriptedHTTP) -> None:
    def client(url: str) -> jira.JIRA:
        return jira.JIRA(server=url, token_auth="corpus", get_server_info=False, max_retries=0, timeout=0.3)

    def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, {"errorMessages": [message], "errors": {}}, headers)

    jr = client(http.url(""))
    get = lambda: jr.issue("PIPE-1")  # noqa: E731
    for name, reply, accept, why in (
        ("jira-401", error(401, "You are not authenticated"), C, "the token is wrong"),
        (
            "jira-404",
            error(404, "Issue does not exist or you do not have permission to see it."),
            {C, D},
            "no such issue",
        ),
        (
            "jira-400",
            error(400, "The value 'PIPE' does not exist for the field 'project'."),
            {C, D},
            "a bad field value",
        ),
        (
            "jira-429",
            error(429, "Rate limit exceeded", {"Retry-After": "2"}),
            T,
            "rate limited with Retry-After",
        ),
        (
            "jira-503",
            Reply(503, b"Service Unavailable", {"Content-Type": "text/plain"}),
            T,
            "the site is unavailable",
        ),
    ):
        family.add(name, _answer(http, reply, get), accept, why)
    family.add(
        "jira-tls-verify",
        lambda: client(tls.url("", scheme="https")).issue("PIPE-1"),
        C,
        "self-signed certificate",
    )


def _twilio(family: Family, http: ScriptedHTTP) -> None:
    tw = TwilioClient("AC" + "0" * 32, "corpus-token")
    tw.api.base_url = http.url("")

    def error(status: int, code: int, headers: dict[str, str] | None = None) -> Reply:
        body = {"code": code, "message": f"error {code} (corpus)", "more_info": "", "status": status}
        return Reply(status, body, headers)

    get = lambda: tw.api.v2010.accounts("AC" + "0" * 32).fetch()  # noqa: E731
    for name, reply, accept, why in (
        ("twilio-401", error(401, 20003), C, "authentication failed (account sid / token)"),
        ("twilio-404", error(404, 20404), {C, D}, "the resource does not exist"),
        ("twilio-400", error(400, 21211), D, "an invalid 'To' phone number"),
        ("twilio-429", error(429, 20429), T, "too many requests, no Retry-After"),
        ("twilio-503", error(503, 20500), T, "the service is unavailable"),
    ):
        family.add(name, _answer(http, reply, get), accept, why)


def _sendgrid(family: Family, http: ScriptedHTTP) -> None:
    def client(url: str) -> Any:
        return sendgrid.SendGridAPIClient(api_key="SG.corpus", host=url)

    sg = client(http.url(""))
    post = lambda: sg.client.mail.send.post(request_body={"personalizations": []})  # noqa: E731

    def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, {"errors": [{"message": message, "field": None}]}, headers)

    for name, reply, accept, why in (
        (
            "sendgrid-401",
            error(401, "The provided authorization grant is invalid"),
            C,
            "the API key is wrong",
        ),
        ("sendgrid-403", error(403, "access forbidden"), C, "the key lacks the mail.send scope"),
        ("sendgrid-400", error(400, "The personalizations field is required"), D, "the message is malformed"),
        ("sendgrid-413", error(413, "payload too large"), D, "the message is larger than allowed"),
        (
            "sendgrid-429",
            error(429, "too many requests", {"Retry-After": "5"}),
            T,
            "rate limited with Retry-After",
        ),
        ("sendgrid-500", error(500, "internal error"), T, "a server-side error"),
    ):
        family.add(name, _answer(http, reply, post), accept, why)
    family.add(
        "sendgrid-refused",
        lambda: client(f"http://127.0.0.1:{free_port()}").client.mail.send.post(request_body={}),
        T,
        "nothing listens",
    )


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    (tmp / "saas-tls").mkdir()
    certificates = Certificates(tmp / "saas-tls")
    http = serve(closing, ScriptedHTTP())
    tls = serve(closing, ScriptedHTTP(certificates.server_context(certificates.good)))
    _stripe(family, http, tls)
    _github(family, http)
    _gitlab(family, http)
    _jira(family, http, tls)
    _twilio(family, http)
    _sendgrid(family, http)
