"""
Codes that services keep in their own places, keyed ``<service>:<code>`` for
:mod:`.knowledge_services` (or a bare vendor code): gRPC ``code()``, Google ``errors[].reason``
and google-auth's ``retryable`` flag, Azure ``error_code``, Elasticsearch ``error.type``, a
Kubernetes ``Status.reason``, Slack's ``error``, OpenAI's and Notion's ``code``, Trino's ``errorName``, a
WebSocket close code, SSH failure reasons, ClickHouse error names, Kafka protocol codes, a
JetStream ``err_code``, minio's S3 ``code`` and an OAuth 2 ``error`` (RFC 6749 5.2).

Every read is guarded: a hostile exception cannot break classification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from airflow_errorguard.classification.knowledge_services import KAFKA_CODES
from airflow_errorguard.classification.safe_read import safe_getattr as _safe_attr
from airflow_errorguard.classification.warehouse_codes import (
    clickhouse_server_name,
    hadoop_code,
    snowflake_code,
)

#: A Kubernetes ``Status`` body longer than this is not parsed for its reason.
_K8S_BODY_LIMIT = 65536
#: ClickHouse's error name, as its server renders it: ``Code: 60. DB::Exception: ... (UNKNOWN_TABLE)``.
_CLICKHOUSE_NAME = re.compile(r"Code: \d+\. DB::Exception: .*?\(([A-Z][A-Z0-9_]{2,60})\)", re.DOTALL)
#: An OAuth 2 error code (RFC 6749 5.2, RFC 8628 3.5, RFC 6750 3.1): lower case and underscores.
_OAUTH_ERROR = re.compile(r"[a-z][a-z_]{2,40}")


def service_code(family: str | None, exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """A gRPC status name, a Google ``errors[].reason``, an Azure error code, or a data-platform
    service's code keyed ``<service>:<code>`` (:mod:`.knowledge_services`), when there is one."""
    if family in _SERVICE_READERS:
        code = _SERVICE_READERS[family](exc, get)
        return code if isinstance(code, str) and code else None
    if family == "grpc":
        code = _safe_call(exc, "code")
        name = getattr(code, "name", None) if code is not None else None
        return name if isinstance(name, str) else None
    if family == "google":
        errors = _safe_attr(exc, "errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            reason = dict.get(errors[0], "reason")
            if isinstance(reason, str) and reason:
                return reason
        # google-auth marks a refresh failure it would retry (HTTP 5xx, 429, a server_error body).
        return "google-auth:retryable" if _safe_attr(exc, "retryable") is True else None
    if family == "azure":
        code = get("error_code")
        if isinstance(code, str) and code:
            return code
        code = _safe_attr(get("error"), "code")
        return code if isinstance(code, str) and code else None
    return None


def _dict_path(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = dict.get(value, key)
    return value


def _keyed(service: str, value: Any) -> str | None:
    return f"{service}:{value}" if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _elasticsearch(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """``body["error"]["type"]`` (elasticsearch-py, opensearch-py), else the ``error`` it names."""
    kind = _dict_path(_safe_attr(exc, "body"), "error", "type")
    if not isinstance(kind, str):
        kind = _safe_attr(exc, "error")
    return _keyed("es", kind) if isinstance(kind, str) and kind.endswith("_exception") else None


def _kubernetes(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """The ``reason`` of the ``Status`` object in ``ApiException.body`` (a JSON text)."""
    body = _safe_attr(exc, "body")
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not (isinstance(body, str) and body.startswith("{") and len(body) <= _K8S_BODY_LIMIT):
        return None
    try:
        status = json.loads(body)
    except ValueError:
        return None
    return _keyed("k8s", _dict_path(status, "reason"))


def _slack(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """``SlackApiError.response.data["error"]``: Slack answers errors with HTTP 200 and ``ok: false``."""
    return _keyed("slack", _dict_path(_safe_attr(get("response"), "data"), "error"))


def _openai(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """OpenAI's ``code`` (else ``type``); an Anthropic-style ``body["error"]["type"]``."""
    for name in ("code", "type"):
        value = _safe_attr(exc, name)
        if isinstance(value, str) and value:
            return _keyed("openai", value)
    return _keyed("openai", _dict_path(_safe_attr(exc, "body"), "error", "type"))


def _notion(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """The Notion API's error ``code`` (notion-client keeps it in ``code``, a string enum member)."""
    code = _safe_attr(exc, "code")
    value = _safe_attr(code, "value") if isinstance(code, Enum) else code
    return _keyed("notion", value) if isinstance(value, str) else None


def _trino(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    return _keyed("trino", _safe_attr(exc, "error_name"))


def _websocket(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """The close code the peer sent (``ConnectionClosed.rcvd.code``; none when the link just dropped)."""
    return _keyed("websocket", _safe_attr(_safe_attr(exc, "rcvd"), "code"))


def _ssh(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """The SSH channel-open failure reason (RFC 4254 5.1) of paramiko's ``ChannelException`` and
    asyncssh's ``ChannelOpenError``; asyncssh's ``DisconnectError`` reason code (RFC 4253 11.1)."""
    name = type(exc).__name__
    if name in ("ChannelException", "ChannelOpenError"):
        return _keyed("ssh-channel", _safe_attr(exc, "code"))
    if type(exc).__module__.startswith("asyncssh"):
        return _keyed("ssh-disconnect", _safe_attr(exc, "code"))
    return None


def _clickhouse(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """ClickHouse's error name: clickhouse-connect's ``name``, the name of the number the server sent
    (clickhouse-driver), else the one its server text ends with."""
    name = _safe_attr(exc, "name")
    if not isinstance(name, str) or not name.isupper():
        name = clickhouse_server_name(exc)
    if name is None:
        found = _CLICKHOUSE_NAME.search(_safe_str_args(exc))
        name = found.group(1) if found else None
    return _keyed("clickhouse", name)


def _kafka(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """The Kafka protocol error code a broker answered with (kafka-python and aiokafka keep it in
    ``errno``, which is not an operating-system errno)."""
    if _safe_attr(exc, "retriable") is None:
        return None
    code = get("errno")
    if code is None:
        code = _safe_attr(exc, "errno")
    if not isinstance(code, int) or code <= 0:
        return None
    if f"kafka:{code}" not in KAFKA_CODES and _safe_attr(exc, "retriable") is True:
        return "kafka:retriable"  # a code newer than the table: the client's own retriable flag
    return _keyed("kafka", code)


def _nats(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """A JetStream API error's ``err_code`` (nats-py ``nats.js.errors.APIError``)."""
    code = _safe_attr(exc, "err_code")
    return _keyed("nats", code) if isinstance(code, int) and code > 0 else None


def _minio(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """The S3 error code a MinIO/S3 server answered with (minio ``S3Error.code``)."""
    code = _safe_attr(exc, "code")
    return code if isinstance(code, str) else None


def _oauth(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """The OAuth 2 ``error`` a token or resource endpoint answered with (oauthlib, Authlib)."""
    error = _safe_attr(exc, "error")
    return f"oauth:{error}" if isinstance(error, str) and _OAUTH_ERROR.fullmatch(error) else None


_SERVICE_READERS: dict[str, Callable[[BaseException, Callable[[str], Any]], str | None]] = {
    "elasticsearch": _elasticsearch,
    "kubernetes": _kubernetes,
    "slack": _slack,
    "openai": _openai,
    "notion": _notion,
    "trino": _trino,
    "websocket": _websocket,
    "ssh": _ssh,
    "clickhouse": _clickhouse,
    "kafka": _kafka,
    "nats": _nats,
    "minio": _minio,
    "oauth": _oauth,
    "snowflake": snowflake_code,
    "hadoop": hadoop_code,
}


def _safe_str_args(exc: BaseException) -> str:
    args = _safe_attr(exc, "args")
    first = args[0] if isinstance(args, tuple) and args else None
    return first[:2000] if isinstance(first, str) else ""


def _safe_call(obj: Any, name: str) -> Any:
    method = _safe_attr(obj, name)
    if not callable(method):
        return None
    try:
        return method()
    except BaseException:
        return None
