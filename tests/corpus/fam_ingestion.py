"""SaaS / API SDKs that ingestion pipelines call (Salesforce, HubSpot, Notion, Airtable, the Hugging
Face Hub, Anthropic, the Docker Engine API), raised live against the scripted HTTP/TLS servers on
loopback answering each service's real error body, and the Docker SDK against a scripted HTTP
server on a unix socket: statuses 400 to 529 (429 with and without ``Retry-After``), refused ports,
read timeouts, a self-signed certificate, malformed JSON bodies, and credentials an SDK refuses
before sending. Issue 13 (generalisation), measured before any knowledge change."""

from __future__ import annotations

import os
import socketserver
import threading
from pathlib import Path
from typing import Any

import anthropic
import docker
import huggingface_hub
import notion_client
import pyairtable
import requests
import simple_salesforce
from hubspot import HubSpot

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import Certificates, Reply, ScriptedHTTP, free_port

NEEDS_TMP = True

_JSON = {"Content-Type": "application/json"}


def _answer(http: ScriptedHTTP, reply: Reply, call: Any) -> Any:
    def run() -> None:
        http.next = reply
        call()

    return run


def _refused() -> str:
    return f"http://127.0.0.1:{free_port()}"


def _salesforce(family: Family, tls: ScriptedHTTP, ca: Path) -> None:
    def client(verify: Any = str(ca)) -> Any:
        session = requests.Session()
        session.verify = verify
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override the session's verify
        return simple_salesforce.Salesforce(
            instance_url=tls.url("", host="localhost", scheme="https"),
            session_id="00Dcorpus",
            session=session,
        )

    def error(status: int, code: str, message: str) -> Reply:
        return Reply(status, [{"message": message, "errorCode": code}])

    sf = client()
    get = lambda: sf.Account.get("001000000000001")  # noqa: E731
    for name, reply, accept, why in (
        (
            "salesforce-401",
            error(401, "INVALID_SESSION_ID", "Session expired or invalid"),
            C,
            "the session / OAuth token is expired or invalid: a new login is needed",
        ),
        (
            "salesforce-403",
            error(403, "INSUFFICIENT_ACCESS", "insufficient access rights on object id"),
            C,
            "the integration user lacks the permission",
        ),
        (
            "salesforce-403-limit",
            error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            {T, C},
            "the org's daily API request limit is used up (resets over the day)",
        ),
        (
            "salesforce-404",
            error(404, "NOT_FOUND", "The requested resource does not exist"),
            {C, D},
            "no record with that id",
        ),
        (
            "salesforce-400",
            error(400, "MALFORMED_QUERY", "unexpected token: FROM"),
            {C, D},
            "a malformed SOQL query",
        ),
        (
            "salesforce-500",
            error(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId"),
            T,
            "a server-side error",
        ),
    ):
        family.add(name, _answer(tls, reply, get), accept, why)
    family.add(
        "salesforce-tls-verify",
        lambda: client(verify=True).Account.get("001000000000001"),
        C,
        "a self-signed server certificate the client does not trust",
    )
    family.add(
        "salesforce-no-credentials",
        lambda: simple_salesforce.Salesforce(instance_url="https://localhost"),
        C,
        "neither a session id nor a username/password: refused before any request",
    )


def _hubspot(family: Family, http: ScriptedHTTP) -> None:
    def client(url: str) -> Any:
        return HubSpot(access_token="pat-corpus", host=url)

    def error(status: int, category: str, headers: dict[str, str] | None = None) -> Reply:
        body = {"status": "error", "message": f"{category} (corpus)", "category": category}
        return Reply(status, body, headers)

    hs = client(http.url(""))
    get = lambda: hs.crm.contacts.basic_api.get_by_id("101", _request_timeout=0.3)  # noqa: E731
    for name, reply, accept, why in (
        ("hubspot-401", error(401, "INVALID_AUTHENTICATION"), C, "the private app token is wrong"),
        ("hubspot-404", error(404, "OBJECT_NOT_FOUND"), {C, D}, "no such contact"),
        (
            "hubspot-429-retry-after",
            error(429, "RATE_LIMITS", {"Retry-After": "1"}),
            T,
            "the ten-second burst limit, with Retry-After",
        ),
        (
            "hubspot-502",
            Reply(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
            T,
            "a proxy failed",
        ),
    ):
        family.add(name, _answer(http, reply, get), accept, why)
    family.add(
        "hubspot-refused",
        lambda: client(_refused()).crm.contacts.basic_api.get_by_id("101", _request_timeout=0.3),
        T,
        "nothing listens",
    )


def _notion(family: Family, http: ScriptedHTTP) -> None:
    def client(url: str, auth: Any = "secret_corpus") -> Any:
        options: dict[str, Any] = {"auth": auth, "base_url": url, "timeout_ms": 300}
        if "retry" in notion_client.client.ClientOptions.__dataclass_fields__:
            options["retry"] = False  # notion-client 3.1 retries 429 and 5xx by default; 3.0 never
        return notion_client.Client(**options)

    def error(status: int, code: str, headers: dict[str, str] | None = None) -> Reply:
        body = {"object": "error", "status": status, "code": code, "message": f"{code} (corpus)"}
        return Reply(status, body, headers)

    nc = client(http.url(""))
    get = lambda: nc.pages.retrieve(page_id="corpus-page")  # noqa: E731
    for name, reply, accept, why in (
        ("notion-unauthorized", error(401, "unauthorized"), C, "the integration token is invalid"),
        (
            "notion-restricted",
            error(403, "restricted_resource"),
            C,
            "the integration lacks the capability for this resource",
        ),
        (
            "notion-not-found",
            error(404, "object_not_found"),
            {C, D},
            "the page does not exist or is not shared with the integration",
        ),
        ("notion-rate-limited", error(429, "rate_limited"), T, "rate limited, no Retry-After"),
        ("notion-validation", error(400, "validation_error"), {C, D}, "the request body does not validate"),
        ("notion-conflict", error(409, "conflict_error"), T, "a data collision while saving: retry"),
        ("notion-500", error(500, "internal_server_error"), T, "a server-side error"),
        ("notion-503", error(503, "service_unavailable"), T, "Notion is unavailable"),
        (
            "notion-bad-json",
            Reply(502, b"<html>upstream</html>", {"Content-Type": "text/html"}),
            T,
            "a proxy's HTML page where an error body was due",
        ),
    ):
        family.add(name, _answer(http, reply, get), accept, why)
    family.add(
        "notion-timeout",
        lambda: client(http.url("/slow")).pages.retrieve(page_id="corpus-page"),
        T,
        "the server answers after the read timeout",
    )


def _airtable(family: Family, http: ScriptedHTTP) -> None:
    def table(url: str) -> Any:
        # No timeout case: pyairtable 3.3 (the Airflow 3.1.8 lane's) ignores Api(timeout=...).
        api = pyairtable.Api("pat-corpus", endpoint_url=url, retry_strategy=None, timeout=(0.3, 0.3))
        return api.table("appCorpus00000000", "tblCorpus00000000")

    def error(status: int, kind: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, {"error": {"type": kind, "message": f"{kind} (corpus)"}}, headers)

    tb = table(http.url(""))
    get = lambda: tb.get("recCorpus00000000")  # noqa: E731
    for name, reply, accept, why in (
        ("airtable-401", error(401, "AUTHENTICATION_REQUIRED"), C, "the personal access token is wrong"),
        ("airtable-422", error(422, "INVALID_REQUEST_UNKNOWN"), D, "the field values do not validate"),
        (
            "airtable-429",
            Reply(429, {"errors": [{"error": "RATE_LIMIT_REACHED"}]}, {"Retry-After": "30"}),
            T,
            "five requests a second per base, Retry-After",
        ),
        ("airtable-503", error(503, "SERVICE_UNAVAILABLE"), T, "the service is unavailable"),
        ("airtable-bad-json", Reply(200, b"{not json", _JSON), {T, D}, "a body that is not JSON"),
    ):
        family.add(name, _answer(http, reply, get), accept, why)


def _huggingface(family: Family, http: ScriptedHTTP) -> None:
    def api(url: str, token: Any = "hf_corpus") -> Any:
        return huggingface_hub.HfApi(endpoint=url, token=token)

    hf = api(http.url(""))
    info = lambda: hf.model_info("corpus/model", timeout=0.3)  # noqa: E731
    download = lambda: huggingface_hub.hf_hub_download(  # noqa: E731
        "corpus/model", "weights.bin", endpoint=http.url(""), token="hf_corpus", etag_timeout=0.3
    )
    hub = lambda code, status: Reply(  # noqa: E731
        status, {"error": f"{code} (corpus)"}, {"X-Error-Code": code, "X-Error-Message": f"{code} (corpus)"}
    )
    for name, reply, call, accept, why in (
        (
            "hf-repo-not-found",
            hub("RepoNotFound", 404),
            info,
            C,
            "no such repository (or private): a wrong id",
        ),
        (
            "hf-gated",
            hub("GatedRepo", 403),
            info,
            C,
            "the token has not accepted the gated repository's terms",
        ),
        ("hf-entry-not-found", hub("EntryNotFound", 404), download, {C, D}, "no such file in the repository"),
        ("hf-429", Reply(429, {"error": "rate limited"}), info, T, "rate limited, no Retry-After"),
        ("hf-500", Reply(500, {"error": "Internal Error"}), info, T, "a server-side error"),
    ):
        family.add(name, _answer(http, reply, call), accept, why)
    family.add(
        "hf-refused",
        lambda: api(_refused()).model_info("corpus/model", timeout=0.3),
        T,
        "nothing listens",
    )
    family.add(
        "hf-timeout",
        lambda: api(http.url("/slow")).model_info("corpus/model", timeout=0.2),
        T,
        "read timeout",
    )


def _anthropic(family: Family, http: ScriptedHTTP, tls: ScriptedHTTP) -> None:
    def client(url: str, key: Any = "sk-ant-corpus") -> Any:
        return anthropic.Anthropic(api_key=key, base_url=url, max_retries=0, timeout=0.3)

    def error(status: int, kind: str, headers: dict[str, str] | None = None) -> Reply:
        return Reply(
            status, {"type": "error", "error": {"type": kind, "message": f"{kind} (corpus)"}}, headers
        )

    def create(ac: Any) -> Any:
        return ac.messages.create(
            model="claude-corpus", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )

    ac = client(http.url(""))
    for name, reply, accept, why in (
        ("anthropic-401", error(401, "authentication_error"), C, "the API key is wrong"),
        ("anthropic-403", error(403, "permission_error"), C, "the key lacks access to the resource"),
        ("anthropic-404", error(404, "not_found_error"), C, "no such model: a wrong model name"),
        ("anthropic-429", error(429, "rate_limit_error", {"retry-after": "2"}), T, "rate limited"),
        ("anthropic-500", error(500, "api_error"), T, "a server-side error"),
        ("anthropic-529", error(529, "overloaded_error"), T, "the API is overloaded (529)"),
    ):
        family.add(name, _answer(http, reply, lambda: create(ac)), accept, why)
    family.add("anthropic-refused", lambda: create(client(_refused())), T, "nothing listens")
    family.add("anthropic-timeout", lambda: create(client(http.url("/slow"))), T, "read timeout")
    family.add(
        "anthropic-tls-verify",
        lambda: create(client(tls.url("", scheme="https"))),
        C,
        "a self-signed server certificate the client does not trust",
    )

    def keyless() -> Any:
        saved = os.environ.pop("ANTHROPIC_API_KEY", None)
        try:
            return create(client(http.url(""), key=None))
        finally:
            if saved is not None:
                os.environ["ANTHROPIC_API_KEY"] = saved

    family.add("anthropic-no-key", keyless, C, "no API key (an unset variable), refused before sending")


class _UnixHTTP(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _docker(family: Family, closing: list[Any], http: ScriptedHTTP, tmp: Path) -> None:
    path = tmp / "docker.sock"
    server = _UnixHTTP(str(path), http.server.RequestHandlerClass)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def close() -> None:
        server.shutdown()
        server.server_close()

    closing.append(close)

    def client() -> Any:
        return docker.DockerClient(base_url=f"unix://{path}", version="1.44", timeout=1)

    dc = client()

    def error(status: int, message: str) -> Reply:
        return Reply(status, {"message": message})

    for name, reply, call, accept, why in (
        (
            "docker-image-not-found",
            error(404, "No such image: corpus/etl:latest"),
            lambda: dc.images.get("corpus/etl:latest"),
            {C, D},
            "the image tag does not exist",
        ),
        (
            "docker-409",
            error(409, 'Conflict. The container name "/etl-corpus" is already in use'),
            lambda: dc.containers.create("corpus/etl:latest", name="etl-corpus"),
            {T, C, D},
            "a container of that name exists (a previous run not cleaned up)",
        ),
        (
            "docker-500",
            error(500, "driver failed programming external connectivity"),
            lambda: dc.containers.get("etl-corpus"),
            {T, S},
            "the daemon failed",
        ),
    ):
        family.add(name, _answer(http, reply, call), accept, why)
    family.add(
        "docker-no-socket",
        lambda: docker.DockerClient(base_url=f"unix://{tmp / 'missing.sock'}", version="auto", timeout=1),
        {C, T},
        "no daemon socket at that path (DOCKER_HOST wrong or the daemon down)",
    )
    family.add(
        "docker-bad-port",
        lambda: docker.DockerClient(base_url="tcp://127.0.0.1:notaport"),
        C,
        "a DOCKER_HOST whose port is not a number, refused before any request",
    )
    family.add(
        "docker-bad-host",
        lambda: docker.DockerClient(base_url="corpus://nowhere"),
        C,
        "a DOCKER_HOST with an unknown scheme, refused before any request",
    )


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    (tmp / "ingestion-tls").mkdir()
    certificates = Certificates(tmp / "ingestion-tls")
    http = serve(closing, ScriptedHTTP())
    tls = serve(closing, ScriptedHTTP(certificates.server_context(certificates.good)))
    _salesforce(family, tls, certificates.ca)
    _hubspot(family, http)
    _notion(family, http)
    _airtable(family, http)
    _huggingface(family, http)
    _anthropic(family, http, tls)
    _docker(family, closing, http, tmp)
