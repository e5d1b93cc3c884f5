"""
A repeated failure is decided through :func:`.quick_key.quick_repeat` without ``resolve()``: the
same decision a fresh policy takes, and a classifier subclass still decides through its own code.
"""

from __future__ import annotations

import errno
import sqlite3

import pytest
import requests

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.compat import RetryDecision
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

pytestmark = [pytest.mark.unit, pytest.mark.airflow33]  # ErrorGuardRetryPolicy needs Airflow 3.3+

FAILURES = [
    lambda: ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    lambda: ConnectionResetError(errno.ECONNRESET, "certificate verify failed"),
    lambda: sqlite3.OperationalError("database is locked"),
    lambda: RuntimeError("password authentication failed for user x"),
    lambda: TimeoutError("read timed out"),
]


def _policy(classifier: Classifier | None = None) -> ErrorGuardRetryPolicy:
    return ErrorGuardRetryPolicy(
        backoff=Backoff(base_delay=2, max_delay=60, jitter="none"), classifier=classifier
    )


def _shown(decision: RetryDecision) -> tuple[object, ...]:
    return decision.action, decision.retry_delay, decision.reason


@pytest.mark.parametrize("make", FAILURES)
def test_a_repeat_is_decided_as_a_first_sight(make) -> None:  # type: ignore[no-untyped-def]
    warm = _policy(Classifier())
    for _ in range(3):  # seen, filed under the quick key
        warm.evaluate(make(), 1, 4)
    before = warm.classifier.cache.quick_hits
    decided = [_shown(warm.evaluate(make(), try_number, 4)) for try_number in (1, 2, 5)]
    fresh = [_shown(_policy(Classifier(cache_size=0)).evaluate(make(), n, 4)) for n in (1, 2, 5)]
    assert fresh == decided
    assert warm.classifier.cache.quick_hits == before + 3


def test_a_classifier_subclass_decides_repeats_through_its_own_code() -> None:
    calls: list[BaseException] = []

    class Counting(Classifier):
        def resolve(self, exc, context=None, *, ignore=()):  # type: ignore[no-untyped-def,override]
            calls.append(exc)
            return super().resolve(exc, context, ignore=ignore)

    policy = _policy(Counting())
    for _ in range(4):
        policy.evaluate(FAILURES[0](), 1, 4)
    assert len(calls) == 4


class _CountingHeaders(dict):  # type: ignore[type-arg]
    """Response headers that count their look-ups."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.calls = 0

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.calls += 1
        return super().get(key, default)


def _http_error(status: int) -> tuple[requests.HTTPError, _CountingHeaders]:
    response = requests.Response()
    response.status_code = status
    response.url = "https://api.example.com/v1/items"
    response.headers = _CountingHeaders({"Retry-After": "30"})  # type: ignore[assignment]
    return requests.HTTPError(f"{status} error", response=response), response.headers  # type: ignore[return-value]


@pytest.mark.parametrize(("status", "reads"), [(404, False), (401, False), (503, True), (429, True)])
def test_a_repeat_reads_the_retry_after_only_when_it_may_retry(status: int, reads: bool) -> None:
    warm = _policy(Classifier())
    for _ in range(2):
        warm.evaluate(_http_error(status)[0], 1, 4)
    exc, headers = _http_error(status)
    decided = _shown(warm.evaluate(exc, 1, 4))
    assert decided == _shown(_policy(Classifier(cache_size=0)).evaluate(_http_error(status)[0], 1, 4))
    assert (headers.calls > 0) is reads
