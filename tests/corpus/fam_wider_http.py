"""HTTP-based SDKs the first waves do not use, pointed at an in-process server answering with the
error bodies those services really send: elasticsearch-py, the kubernetes client, hvac (Vault),
slack_sdk, openai, google-cloud-storage (``api_endpoint`` override), azure-storage-blob and trino.
Each SDK's own retries are switched off so the first error is the one raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hvac
import kubernetes.client
import openai
import trino.dbapi
from azure.storage.blob import BlobServiceClient
from elasticsearch import Elasticsearch
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from slack_sdk import WebClient

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import Reply, ScriptedHTTP, free_port

Case = tuple[str, Reply, Any, str]


def build(family: Family, closing: list[Any]) -> None:
    http = serve(closing, ScriptedHTTP())
    refused = f"http://127.0.0.1:{free_port()}"

    groups: list[tuple[str, Callable[[str], Callable[[], Any]], list[Case]]] = [
        ("es", _es_call, _es_cases()),
        ("k8s", _k8s_call, _k8s_cases()),
        ("vault", _vault_call, _vault_cases()),
        ("slack", _slack_call, _slack_cases()),
        ("openai", _openai_call, _openai_cases()),
        ("gcs", _gcs_call, _gcs_cases()),
        ("azblob", _azure_call, _azure_cases()),
        ("trino", _trino_call, _trino_cases()),
    ]
    for prefix, make, cases in groups:
        call = make(http.url(""))
        for name, reply, accept, why in cases:
            family.add(f"{prefix}-{name}", answering(http, reply, call), accept, why)
        family.add(f"{prefix}-refused", make(refused), T, f"{prefix}: connection refused (service down)")


def answering(http: ScriptedHTTP, reply: Reply, call: Callable[[], Any]) -> Callable[[], Any]:
    """*call*, made while *http* answers every request with *reply*."""

    def run() -> Any:
        http.next = reply
        return call()

    return run


# -- elasticsearch-py ----------------------------------------------------------------------------

_ES = {"X-Elastic-Product": "Elasticsearch"}


def es_error(status: int, kind: str, reason: str, headers: dict[str, str] | None = _ES) -> Reply:
    """An Elasticsearch/OpenSearch error body (*headers*: Elasticsearch's product header)."""
    body = {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}}
    return Reply(status, {**body, "status": status}, headers)


def _es_call(url: str) -> Callable[[], Any]:
    client = Elasticsearch(url, max_retries=0, retry_on_timeout=False, request_timeout=5)
    return lambda: client.search(index="orders", query={"match_all": {}})


def _es_cases() -> list[Case]:
    return [
        (
            "index-missing",
            es_error(404, "index_not_found_exception", "no such index [orders]"),
            C,
            "the index is absent",
        ),
        (
            "conflict",
            es_error(409, "version_conflict_engine_exception", "[1]: version conflict"),
            {T, D},
            "409",
        ),
        (
            "bad-query",
            es_error(400, "parsing_exception", "unknown query [mtch]"),
            {C, D},
            "400 malformed query",
        ),
        (
            "mapping",
            es_error(400, "mapper_parsing_exception", "failed to parse field [qty]"),
            D,
            "a bad document",
        ),
        ("unauthorized", es_error(401, "security_exception", "missing authentication credentials"), C, "401"),
        (
            "forbidden",
            es_error(403, "security_exception", "action [indices:data/read] is unauthorized"),
            C,
            "403",
        ),
        (
            "rejected",
            es_error(429, "es_rejected_execution_exception", "rejected execution"),
            T,
            "429 queue full",
        ),
        ("unavailable", es_error(503, "search_phase_execution_exception", "all shards failed"), T, "503"),
        (
            "breaker",
            es_error(429, "circuit_breaking_exception", "[parent] Data too large"),
            T,
            "429 memory breaker",
        ),
        (
            "read-only",
            es_error(
                403,
                "cluster_block_exception",
                "index [orders] blocked by: [FORBIDDEN/12/index read-only / allow delete (api)]",
            ),
            {C, T, S},
            "a read-only block: the disk flood-stage watermark or an operator's block",
        ),
    ]


# -- kubernetes ----------------------------------------------------------------------------------


def _k8s(status: int, reason: str, message: str) -> Reply:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": status,
    }
    return Reply(status, body)


def _k8s_call(url: str) -> Callable[[], Any]:
    config = kubernetes.client.Configuration()
    config.host = url
    config.retries = 0
    api = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(config))
    return lambda: api.read_namespaced_pod("etl-pod", "data", _request_timeout=5)


def _k8s_cases() -> list[Case]:
    return [
        ("not-found", _k8s(404, "NotFound", 'pods "etl-pod" not found'), C, "404 NotFound: no such object"),
        ("forbidden", _k8s(403, "Forbidden", 'pods "etl-pod" is forbidden: User "x" cannot get'), C, "RBAC"),
        ("unauthorized", _k8s(401, "Unauthorized", "Unauthorized"), C, "401: the token is wrong or expired"),
        (
            "conflict",
            _k8s(409, "Conflict", "the object has been modified; please apply your changes"),
            T,
            "409",
        ),
        ("already-exists", _k8s(409, "AlreadyExists", 'pods "etl-pod" already exists'), {C, D}, "exists"),
        ("too-many", _k8s(429, "TooManyRequests", "too many requests, please try again later"), T, "429"),
        (
            "invalid",
            _k8s(422, "Invalid", 'Pod "etl-pod" is invalid: spec.containers: Required value'),
            {C, D},
            "422",
        ),
        (
            "internal",
            _k8s(500, "InternalError", "Internal error occurred: etcdserver: request timed out"),
            T,
            "500",
        ),
        (
            "unavailable",
            _k8s(503, "ServiceUnavailable", "the server is currently unable to handle the request"),
            T,
            "503",
        ),
        ("gone", _k8s(410, "Expired", "too old resource version: 1 (2)"), T, "410 watch expired: relist"),
        (
            "quota",
            _k8s(403, "Forbidden", "exceeded quota: compute, requested: cpu=2, limited: cpu=4"),
            {C, T},
            "a namespace quota",
        ),
    ]


# -- hvac (Vault) --------------------------------------------------------------------------------


def _vault(status: int, *errors: str) -> Reply:
    return Reply(status, {"errors": list(errors)})


def _vault_call(url: str) -> Callable[[], Any]:
    client = hvac.Client(url=url, token="s.corpus", timeout=5)
    return lambda: client.secrets.kv.v2.read_secret_version(path="etl/db", raise_on_deleted_version=True)


def _vault_cases() -> list[Case]:
    return [
        ("invalid-path", _vault(404), C, "404: no secret at that path"),
        ("forbidden", _vault(403, "permission denied"), C, "403: the token's policy does not allow it"),
        ("bad-request", _vault(400, "invalid request"), {C, D}, "400: the request is wrong"),
        ("rate-limit", _vault(429, 'request path "secret/data/etl/db": rate limit quota exceeded'), T, "429"),
        ("internal", _vault(500, "internal error"), T, "500 internal error"),
        ("sealed", _vault(503, "Vault is sealed"), T, "503 sealed: an operator unseals it; retry"),
        ("standby", _vault(429), T, "429 from a standby node: try the active one later"),
        ("not-initialized", _vault(501, "Vault is not initialized"), {C, T}, "501 not initialized"),
        ("unauthorized", _vault(401, "missing client token"), C, "401: no or a wrong token"),
    ]


# -- slack_sdk -----------------------------------------------------------------------------------


def _slack(error: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"ok": False, "error": error}, headers)


def _slack_call(url: str) -> Callable[[], Any]:
    client = WebClient(token="xoxb-corpus", base_url=url + "/", timeout=5, retry_handlers=[])
    return lambda: client.chat_postMessage(channel="#etl", text="done")


def _slack_cases() -> list[Case]:
    return [
        ("channel-not-found", _slack("channel_not_found"), C, "the channel does not exist"),
        ("invalid-auth", _slack("invalid_auth"), C, "the token is invalid"),
        ("not-authed", _slack("not_authed"), C, "no token was sent"),
        ("token-revoked", _slack("token_revoked"), C, "the token was revoked"),
        ("missing-scope", _slack("missing_scope"), C, "the app lacks a scope"),
        ("not-in-channel", _slack("not_in_channel"), C, "the bot is not in the channel"),
        ("ratelimited", _slack("ratelimited", 429, {"Retry-After": "1"}), T, "429 ratelimited"),
        ("msg-too-long", _slack("msg_too_long"), D, "the message is too long: the content"),
        ("internal", _slack("internal_error", 500), T, "500 internal error"),
        ("fatal", _slack("fatal_error"), T, "Slack's fatal_error: their side, retry"),
    ]


# -- openai --------------------------------------------------------------------------------------


def _oai(status: int, kind: str, code: str | None, message: str) -> Reply:
    return Reply(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


def _openai_call(url: str) -> Callable[[], Any]:
    client = openai.OpenAI(base_url=url + "/v1", api_key="sk-corpus", max_retries=0, timeout=5)
    return lambda: client.embeddings.create(model="text-embedding-3-small", input="hello")


def _openai_cases() -> list[Case]:
    return [
        (
            "bad-key",
            _oai(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided"),
            C,
            "401",
        ),
        (
            "no-model",
            _oai(404, "invalid_request_error", "model_not_found", "The model does not exist"),
            C,
            "404",
        ),
        (
            "rate-limit",
            _oai(429, "requests", "rate_limit_exceeded", "Rate limit reached for requests"),
            T,
            "429",
        ),
        (
            "quota",
            _oai(429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota"),
            C,
            "429 insufficient_quota: billing, not a rate; retrying never helps",
        ),
        (
            "too-long",
            _oai(
                400,
                "invalid_request_error",
                "context_length_exceeded",
                "This model's maximum context length is 8192 tokens",
            ),
            D,
            "the input is too long",
        ),
        (
            "forbidden",
            _oai(
                403,
                "invalid_request_error",
                "unsupported_country_region_territory",
                "Country, region, or territory not supported",
            ),
            C,
            "403",
        ),
        (
            "server",
            _oai(500, "server_error", None, "The server had an error while processing your request"),
            T,
            "500",
        ),
        ("overloaded", _oai(503, "server_error", None, "The engine is currently overloaded"), T, "503"),
        ("unprocessable", _oai(422, "invalid_request_error", None, "Invalid input"), D, "422 invalid input"),
    ]


# -- google-cloud-storage ------------------------------------------------------------------------


def _gcs(status: int, reason: str, message: str) -> Reply:
    return Reply(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
            }
        },
    )


def _gcs_call(url: str) -> Callable[[], Any]:
    client = storage.Client(
        project="corpus", credentials=AnonymousCredentials(), client_options={"api_endpoint": url}
    )
    return lambda: client.get_bucket("etl-landing", timeout=5, retry=None)


def _gcs_cases() -> list[Case]:
    return [
        ("not-found", _gcs(404, "notFound", "The specified bucket does not exist."), C, "404 no such bucket"),
        ("forbidden", _gcs(403, "forbidden", "x does not have storage.buckets.get access"), C, "403 IAM"),
        (
            "rate",
            _gcs(429, "rateLimitExceeded", "The rate of change requests exceeds the rate limit."),
            T,
            "429",
        ),
        ("backend", _gcs(503, "backendError", "Backend Error"), T, "503 backend error"),
        (
            "precondition",
            _gcs(412, "conditionNotMet", "At least one of the pre-conditions did not hold."),
            {T, D, C},
            "412 a generation precondition",
        ),
        (
            "billing",
            _gcs(400, "required", "Bucket is a requester pays bucket but no user project provided."),
            C,
            "400: a requester-pays setting",
        ),
    ]


# -- azure-storage-blob --------------------------------------------------------------------------


def _az(status: int, code: str, message: str) -> Reply:
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}'
        "\nRequestId:0000\nTime:2026-11-30T00:00:00Z</Message></Error>"
    )
    return Reply(status, body, {"x-ms-error-code": code, "Content-Type": "application/xml"})


def _azure_call(url: str) -> Callable[[], Any]:
    client = BlobServiceClient(
        account_url=url + "/corpus", retry_total=0, connection_timeout=5, read_timeout=5
    )
    blob = client.get_blob_client("landing", "orders.csv")
    return lambda: blob.download_blob().readall()


def _azure_cases() -> list[Case]:
    return [
        (
            "blob-missing",
            _az(404, "BlobNotFound", "The specified blob does not exist."),
            {C, D},
            "404 no such blob: a wrong name, or the input has not arrived (like S3 NoSuchKey)",
        ),
        (
            "container-missing",
            _az(404, "ContainerNotFound", "The specified container does not exist."),
            C,
            "404",
        ),
        (
            "auth-failed",
            _az(403, "AuthenticationFailed", "Server failed to authenticate the request."),
            C,
            "403",
        ),
        (
            "not-authorized",
            _az(403, "AuthorizationPermissionMismatch", "This request is not authorized"),
            C,
            "403 RBAC",
        ),
        (
            "busy",
            _az(503, "ServerBusy", "The server is currently unable to receive requests."),
            T,
            "503 busy",
        ),
        (
            "timeout",
            _az(500, "OperationTimedOut", "The operation could not be completed within the time."),
            T,
            "500 operation timed out",
        ),
        (
            "leased",
            _az(
                412,
                "LeaseIdMissing",
                "There is currently a lease on the blob and no lease ID was specified in the request.",
            ),
            {T, C},
            "412 a lease holds the blob",
        ),
        ("account-disabled", _az(403, "AccountIsDisabled", "The specified account is disabled."), C, "403"),
    ]


# -- trino ---------------------------------------------------------------------------------------


def _trino(name: str, kind: str, code: int, message: str) -> Reply:
    error = {
        "message": message,
        "errorCode": code,
        "errorName": name,
        "errorType": kind,
        "failureInfo": {"type": "io.trino.spi.TrinoException", "message": message, "stack": []},
    }
    return Reply(
        200,
        {
            "id": "20261130_000000_00000_corpus",
            "infoUri": "http://x/ui",
            "stats": {"state": "FAILED"},
            "error": error,
        },
    )


def _trino_call(url: str) -> Callable[[], Any]:
    host, port = url.rsplit("//", 1)[1].split(":")

    def run() -> None:
        conn = trino.dbapi.connect(
            host=host, port=int(port), user="etl", http_scheme="http", max_attempts=1, request_timeout=5
        )
        cur = conn.cursor()
        cur.execute("SELECT * FROM hive.sales.orders")
        cur.fetchall()

    return run


def _trino_cases() -> list[Case]:
    return [
        (
            "no-table",
            _trino(
                "TABLE_NOT_FOUND", "USER_ERROR", 46, "line 1:15: Table 'hive.sales.orders' does not exist"
            ),
            C,
            "USER_ERROR TABLE_NOT_FOUND",
        ),
        (
            "syntax",
            _trino("SYNTAX_ERROR", "USER_ERROR", 1, "line 1:1: mismatched input 'SELEC'"),
            C,
            "syntax",
        ),
        (
            "no-column",
            _trino("COLUMN_NOT_FOUND", "USER_ERROR", 47, "line 1:8: Column 'customer_id' cannot be resolved"),
            C,
            "a wrong column",
        ),
        (
            "div-zero",
            _trino("DIVISION_BY_ZERO", "USER_ERROR", 8, "Division by zero"),
            D,
            "the data divides by 0",
        ),
        (
            "bad-cast",
            _trino("INVALID_CAST_ARGUMENT", "USER_ERROR", 22, "Cannot cast 'abc' to INT"),
            D,
            "bad value",
        ),
        (
            "denied",
            _trino("PERMISSION_DENIED", "USER_ERROR", 4, "Access Denied: Cannot select from table"),
            C,
            "ACL",
        ),
        (
            "memory",
            _trino(
                "EXCEEDED_GLOBAL_MEMORY_LIMIT",
                "INSUFFICIENT_RESOURCES",
                131079,
                "Query exceeded distributed user memory limit of 10GB",
            ),
            {T, S},
            "resources",
        ),
        (
            "no-nodes",
            _trino("NO_NODES_AVAILABLE", "INTERNAL_ERROR", 65542, "No nodes available to run query"),
            T,
            "the cluster has no workers right now",
        ),
        (
            "remote-task",
            _trino("REMOTE_TASK_ERROR", "INTERNAL_ERROR", 65540, "Remote task failed"),
            T,
            "a worker",
        ),
        (
            "hive-metastore",
            _trino("HIVE_METASTORE_ERROR", "EXTERNAL", 16777216, "Failed connecting to Hive metastore"),
            T,
            "external down",
        ),
    ]
