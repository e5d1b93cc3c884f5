"""HTTP signals from real requests, httpx, aiohttp and urllib3 exception objects."""

from __future__ import annotations

import email.utils
import errno
from datetime import timedelta

import aiohttp
import httpx
import pytest
import requests
import urllib3
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.http_facts import parse_retry_after
from airflow_errorguard.classification.model import ErrorCategory
from tests.unit.helpers import assert_verdict, closed_port

pytestmark = pytest.mark.unit

T, D, C = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION


def requests_error(status: int, path: str = "/v1/items/123", headers: dict[str, str] | None = None):
    """The HTTPError ``Response.raise_for_status`` raises for a real response."""
    url = f"https://api.example.com{path}"
    response = requests.Response()
    response.status_code = status
    response.url = url
    response.reason = "Reason"
    response.headers.update(headers or {})
    response.request = requests.Request("GET", url).prepare()
    with pytest.raises(requests.HTTPError) as info:
        response.raise_for_status()
    return info.value


def httpx_error(status: int, path: str = "/v1/items/123", headers: dict[str, str] | None = None):
    request = httpx.Request("GET", f"https://api.example.com{path}")
    response = httpx.Response(status, request=request, headers=headers or {})
    with pytest.raises(httpx.HTTPStatusError) as info:
        response.raise_for_status()
    return info.value


def aiohttp_error(status: int, path: str = "/v1/items/123", headers: dict[str, str] | None = None):
    url = URL(f"https://api.example.com{path}")
    info = aiohttp.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)
    return aiohttp.ClientResponseError(
        info, (), status=status, message="Reason", headers=CIMultiDict(headers or {})
    )


BUILDERS = [requests_error, httpx_error, aiohttp_error]


@pytest.mark.parametrize("build", BUILDERS, ids=["requests", "httpx", "aiohttp"])
@pytest.mark.parametrize(
    ("status", "category", "phrase"),
    [
        (400, D, "rejected request"),
        (401, C, "credentials are missing or invalid"),
        (403, C, "lack permission"),
        (422, D, "failed validation"),
        (429, T, "rate limiting"),
        (500, T, "server-side error"),
        (502, T, "bad gateway"),
        (503, T, "server-side outage"),
        (504, T, "gateway timeout"),
        (418, D, "client error"),  # not listed: the 4xx class decides
        (598, T, "server-side error"),  # not listed: the 5xx class decides
    ],
)
def test_http_status(build, status, category, phrase, classifier: Classifier) -> None:
    result = classifier.classify(build(status))
    assert_verdict(result, category, f"builtin:http:{status}", reason_has=(f"HTTP {status}", phrase))
    assert result.signals["http_status"] == status
    assert result.signals["host"] == "api.example.com"
    assert "api.example.com" in result.reason
    assert result.retry_after is None


@pytest.mark.parametrize("build", BUILDERS, ids=["requests", "httpx", "aiohttp"])
def test_retry_after_header_is_read(build, classifier: Classifier) -> None:
    result = classifier.classify(build(429, headers={"Retry-After": "7"}))
    assert_verdict(result, T, "builtin:http:429", reason_has=("rate limiting",), min_confidence=0.95)
    assert result.retry_after == timedelta(seconds=7)
    assert result.signals["retry_after_seconds"] == 7.0


def test_retry_after_http_date_uses_the_clock() -> None:
    now = 1_790_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    result = Classifier(now=lambda: now).classify(requests_error(503, headers={"Retry-After": header}))
    assert result.retry_after == timedelta(seconds=30)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (b"5", 5.0),
        (2.5, 2.5),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: retry now
        ("10" * 20, 7 * 86400.0),  # capped at a week
        ("-3", 0.0),
        ("soon", None),
        ("", None),
        ("nan", None),
        (True, None),
        (None, None),
        (object(), None),
    ],
)
def test_parse_retry_after(value, expected) -> None:
    parsed = parse_retry_after(value, now=lambda: 1_790_000_000.0)
    assert (parsed.total_seconds() if parsed is not None else None) == expected


@pytest.mark.parametrize("build", BUILDERS, ids=["requests", "httpx", "aiohttp"])
def test_fingerprint_same_failure_other_ids_and_different_failure(build, classifier: Classifier) -> None:
    first = classifier.classify(build(503, "/v1/items/123"))
    second = classifier.classify(build(503, "/v1/items/98765"))
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint != classifier.classify(build(429, "/v1/items/123")).fingerprint
    # Same status class, same message shape: the status still tells the failures apart.
    assert classifier.classify(build(401)).fingerprint != classifier.classify(build(404)).fingerprint
    assert classifier.classify(build(500)).fingerprint != classifier.classify(build(503)).fingerprint


def test_requests_connection_refused_for_real(classifier: Classifier) -> None:
    port = closed_port()
    with pytest.raises(requests.ConnectionError) as info:
        requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
    result = classifier.classify(info.value)
    # requests passes the MaxRetryError as its argument: the refused connect() inside it is the
    # wrapped cause, as confident as the wrapper, and the more specific signal wins the tie.
    assert_verdict(
        result,
        T,
        "builtin:errno:ECONNREFUSED",
        reason_has=("ConnectionRefusedError (ECONNREFUSED)", "found in the cause"),
        min_confidence=0.85,
    )
    again = classifier.classify(_requests_refused(closed_port()))
    assert again.fingerprint == result.fingerprint  # another port, same failure


def _requests_refused(port: int) -> BaseException:
    with pytest.raises(requests.ConnectionError) as info:
        requests.get(f"http://127.0.0.1:{port}/other/42", timeout=5)
    return info.value


def test_requests_missing_schema_is_configuration(classifier: Classifier) -> None:
    with pytest.raises(requests.exceptions.MissingSchema) as info:
        requests.get("api.example.com/no-scheme", timeout=5)
    assert_verdict(
        classifier.classify(info.value),
        C,
        "builtin:type:requests.exceptions.MissingSchema",
        reason_has=("MissingSchema", "misconfigured"),
    )


def test_httpx_connect_error_for_real(classifier: Classifier) -> None:
    with pytest.raises(httpx.ConnectError) as info:
        httpx.get(f"http://127.0.0.1:{closed_port()}/", timeout=5)
    assert_verdict(
        classifier.classify(info.value),
        T,
        "builtin:errno:ECONNREFUSED",
        reason_has=("ECONNREFUSED", "found in the cause of ConnectError"),
        min_confidence=0.85,
    )


def test_httpx_unsupported_protocol_is_configuration(classifier: Classifier) -> None:
    with pytest.raises(httpx.UnsupportedProtocol) as info:
        httpx.get("ftp://files.example.com/x", timeout=5)
    assert_verdict(
        classifier.classify(info.value),
        C,
        "builtin:type:httpx.UnsupportedProtocol",
        reason_has=("misconfigured",),
    )


def test_urllib3_refused_is_decided_by_the_errno_in_its_chain(classifier: Classifier) -> None:
    pool = urllib3.PoolManager(retries=False)
    with pytest.raises(urllib3.exceptions.NewConnectionError) as info:
        pool.request("GET", f"http://127.0.0.1:{closed_port()}/")
    result = classifier.classify(info.value)
    assert_verdict(
        result,
        T,
        "builtin:errno:ECONNREFUSED",
        reason_has=("ECONNREFUSED", "found in the cause of NewConnectionError"),
        min_confidence=0.85,
    )
    assert result.signals["errno"] == errno.ECONNREFUSED


def test_urllib3_max_retry_error_wraps_reason(classifier: Classifier) -> None:
    pool = urllib3.PoolManager(retries=urllib3.Retry(total=0))
    with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
        pool.request("GET", f"http://127.0.0.1:{closed_port()}/")
    assert isinstance(info.value.reason, urllib3.exceptions.NewConnectionError)
    assert_verdict(classifier.classify(info.value), T, "builtin:", min_confidence=0.85)


def test_aiohttp_client_connector_error_for_real(classifier: Classifier) -> None:
    import asyncio

    async def fetch() -> None:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{closed_port()}/"):
            pass  # pragma: no cover - the connection is refused

    with pytest.raises(aiohttp.ClientConnectorError) as info:
        asyncio.run(fetch())
    result = classifier.classify(info.value)
    # ClientConnectorError is an OSError carrying the errno of the refused connect() call; the
    # OSError it wraps says the same, and the inner one wins the tie.
    assert_verdict(result, T, "builtin:errno:ECONNREFUSED", reason_has=("ECONNREFUSED",))
    assert result.signals["errno"] == errno.ECONNREFUSED
