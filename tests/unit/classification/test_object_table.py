"""Compiled decisions for exceptions holding objects: responses, botocore error dicts, gRPC statuses."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import google.api_core.exceptions as gexc
import httpx
import requests
from hypothesis import given
from hypothesis import strategies as st

from airflow_errorguard.classification import object_table
from airflow_errorguard.classification.cached_decision import ChainHit
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.rules import Rule
from tests.unit.classification.test_fuzz import FUZZ

STATUSES = st.sampled_from([200, 301, 400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504])
HOSTS = st.sampled_from(["api.example.com", "other.example.org", "user@db.example.net:8443"])
RETRY_AFTER = st.sampled_from([None, "3", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"])
MESSAGES = st.sampled_from(
    [
        "error",
        "certificate verify failed: unable to get local issuer certificate",
        "Name or service not known",
        "could not convert string to float: 'abc'",
        "",
    ]
)
BOTO_CODES = st.sampled_from(
    ["ThrottlingException", "AccessDenied", "ValidationException", "NoSuchKey", "InternalError", "Nope"]
)
GOOGLE = st.sampled_from(
    [gexc.TooManyRequests, gexc.PermissionDenied, gexc.Aborted, gexc.NotFound, gexc.InternalServerError]
)


@st.composite
def holders(draw: st.DrawFn) -> BaseException:
    """An exception holding objects in its signal attributes, as libraries raise them."""
    kind = draw(st.sampled_from(["requests", "httpx", "boto", "google", "chain"]))
    status, message, retry_after = draw(STATUSES), draw(MESSAGES), draw(RETRY_AFTER)
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    if kind in ("requests", "chain"):
        response = requests.Response()
        response.status_code = status
        response.url = f"https://{draw(HOSTS)}/v1/items"
        response.headers.update(headers)
        exc: BaseException = requests.HTTPError(message, response=response)
        if kind == "chain":
            outer = RuntimeError(draw(MESSAGES))
            outer.__cause__ = exc
            exc = outer
        return exc
    if kind == "httpx":
        request = httpx.Request("GET", f"https://{draw(HOSTS)}/v1/items")
        reply = httpx.Response(status, request=request, headers=headers)
        return httpx.HTTPStatusError(message, request=request, response=reply)
    if kind == "boto":
        meta: dict[str, Any] = {"HTTPStatusCode": status}
        if retry_after is not None:
            meta["HTTPHeaders"] = {"retry-after": retry_after}
        error = {"Error": {"Code": draw(BOTO_CODES), "Message": message}, "ResponseMetadata": meta}
        return botocore.exceptions.ClientError(error, "GetObject")  # type: ignore[arg-type]
    return draw(GOOGLE)(message)


def _same_cold(exc: BaseException) -> Classifier:
    """The verdict with the verdict cache cleared first (a failure never seen) equals an uncached one."""
    cached, uncached = Classifier(), Classifier(cache_size=0)
    got, want = cached.classify(exc), uncached.classify(exc)
    assert got == want
    assert got.fingerprint == want.fingerprint
    assert got.retry_after == want.retry_after
    return cached


@FUZZ
@given(failures=st.lists(holders(), min_size=1, max_size=4))
def test_a_compiled_decision_equals_an_uncached_classification(failures: list[BaseException]) -> None:
    for exc in [*failures, *failures]:
        _same_cold(exc)


def test_a_never_seen_http_error_is_a_table_lookup_with_its_own_retry_after() -> None:
    object_table.clear()

    def failure(retry_after: str, message: str) -> requests.HTTPError:
        response = requests.Response()
        response.status_code = 429
        response.url = "https://api.example.com/v1"
        response.headers["Retry-After"] = retry_after
        return requests.HTTPError(message, response=response)

    classifier = Classifier()
    first = classifier.classify(failure("7", "429 Too Many Requests"))
    classifier.cache.clear()
    found = classifier.resolve(failure("30", "429 for url /v2"))
    assert isinstance(found, ChainHit) and classifier.cache.table_hits == 1
    assert found.retry_after is not None and found.retry_after.total_seconds() == 30
    assert found.verdict.category == first.category
    assert found.verdict == Classifier(cache_size=0).classify(failure("30", "429 for url /v2"))


def test_decisions_that_read_the_message_are_not_compiled() -> None:
    object_table.clear()
    classifier = Classifier()
    classifier.classify(httpx.ConnectTimeout("timed out"))  # TLS and unknown-host checks read it
    classifier.cache.clear()
    classifier.classify(httpx.ConnectTimeout("Name or service not known"))
    assert classifier.cache.table_hits == 0
    assert object_table._TABLE == {}


def test_classifiers_with_rules_or_plugins_neither_compile_nor_use_the_table() -> None:
    object_table.clear()
    rule = Rule(name="teapot", category="data", http_status=[418])
    for classifier in (Classifier(rules=[rule]), Classifier(plugins=[lambda exc: None])):
        classifier.classify(botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied"}}, "Get"))
        classifier.cache.clear()
        classifier.classify(botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied"}}, "Get"))
        assert classifier.cache.table_hits == 0
    assert object_table._TABLE == {}
