"""
Where API SDKs keep the HTTP status they received: ``http_status`` (Stripe) and ``response_code``
(python-gitlab) are read like ``status_code`` and ``status``, on the SDKs' real exception classes;
a value that is not a status is ignored; and the status read there is part of the verdict cache's
keys (the quick key and the chain key), so a cached verdict never crosses statuses.
"""

from __future__ import annotations

from typing import Any

import gitlab.exceptions
import pytest
import stripe

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.quick_key import quick_key
from airflow_errorguard.classification.rules import Rule

pytestmark = pytest.mark.unit

T, D, C, U = (
    ErrorCategory.TRANSIENT,
    ErrorCategory.DATA,
    ErrorCategory.CONFIGURATION,
    ErrorCategory.UNKNOWN,
)


class _SdkError(Exception):
    """An SDK error holding its status in a plain instance attribute, as most SDKs do."""

    def __init__(self, message: str, attr: str, status: Any) -> None:
        super().__init__(message)
        setattr(self, attr, status)


@pytest.mark.parametrize(
    ("exc", "category"),
    [
        (stripe.APIError("server error", http_status=500), T),
        (stripe.InvalidRequestError("no such customer", param="id", http_status=404), D),
        (stripe.APIError("conflict", http_status=409), D),
        (gitlab.exceptions.GitlabGetError("not found", response_code=404), D),
        (gitlab.exceptions.GitlabGetError("retry later", response_code=429), T),
        (gitlab.exceptions.GitlabHttpError("bad gateway", response_code=502), T),
        (_SdkError("x", "http_status", 401), C),
        (_SdkError("x", "response_code", "403"), C),
    ],
)
def test_the_status_is_read_where_the_sdk_keeps_it(exc: BaseException, category: ErrorCategory) -> None:
    assert Classifier().classify(exc).category is category


@pytest.mark.parametrize("value", [0, 42, 1000, True, "oops", None])
def test_a_value_that_is_not_a_status_is_not_read_as_one(value: Any) -> None:
    for attr in ("http_status", "response_code"):
        assert Classifier().classify(_SdkError("x", attr, value)).category is U


@pytest.mark.parametrize("attr", ["http_status", "response_code"])
def test_the_status_is_part_of_the_quick_key(attr: str) -> None:
    first, second = quick_key(_SdkError("x", attr, 404), None), quick_key(_SdkError("x", attr, 503), None)
    assert first is not None and second is not None
    assert first[0] != second[0]  # the key; [1] holds the exceptions themselves


@pytest.mark.parametrize("rules", [(), [Rule(name="unrelated", category="data", exception=UnicodeError)]])
@pytest.mark.parametrize(
    "make",
    [
        lambda status: _SdkError("failed", "http_status", status),
        lambda status: _SdkError("failed", "response_code", status),
        lambda status: stripe.APIError("failed", http_status=status),  # headers: the chain key
        lambda status: gitlab.exceptions.GitlabGetError("failed", response_code=status),
    ],
)
def test_a_cached_verdict_never_crosses_statuses(make: Any, rules: Any) -> None:
    cached, uncached = Classifier(rules=rules), Classifier(rules=rules, cache_size=0)
    seen = set()
    for status in (404, 404, 503, 404, 503, 401, 503, 401):
        got, want = cached.classify(make(status)), uncached.classify(make(status))
        assert got == want
        seen.add(got.category)
    assert seen == {D, T, C}


def _aiohttp_request() -> Any:
    from aiohttp.client_reqrep import RequestInfo
    from multidict import CIMultiDict, CIMultiDictProxy
    from yarl import URL

    url = URL("http://127.0.0.1:9/loop")
    return RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)


def test_a_deprecated_alias_is_never_read() -> None:
    """aiohttp's ``ClientResponseError.code`` warns on every read and only repeats ``.status``: a
    redirect loop (no status) must classify without a ``DeprecationWarning`` in the task's log,
    and a status is still read from ``.status``."""
    import warnings

    import aiohttp

    loop = aiohttp.TooManyRedirects(_aiohttp_request(), ())
    busy = aiohttp.ClientResponseError(_aiohttp_request(), (), status=503, message="busy")
    with warnings.catch_warnings(record=True) as seen:  # recorded: a read's errors are swallowed
        warnings.simplefilter("always")
        for classifier in (Classifier(), Classifier(cache_size=0)):
            classifier.classify(loop)
            assert classifier.classify(busy).category is T
    assert [str(w.message) for w in seen if issubclass(w.category, DeprecationWarning)] == []
