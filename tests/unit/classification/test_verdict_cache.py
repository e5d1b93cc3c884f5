"""
The verdict cache never changes a verdict: cached == uncached over the benchmark corpus of real
library exceptions (fresh twins of every failure included), this package's unit-test rules, and a
hypothesis fuzz of arbitrary exception chains; it is bounded, per classifier, and cleared when the
rules change.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.rules import Rule
from tests.unit.classification.test_fuzz import CONTEXTS, FUZZ, RULES, exceptions
from tests.unit.classification.test_signals_cloud import client_error
from tests.unit.classification.test_signals_http import BUILDERS
from tests.unit.classification.test_signals_stdlib import connect_refused

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from corpus import build_corpus

pytestmark = pytest.mark.unit


def _now() -> float:
    return 1_800_000_000.0  # HTTP-date Retry-After values are read against this clock


def _pair(rules: Any = ()) -> tuple[Classifier, Classifier]:
    return Classifier(rules=rules, now=_now), Classifier(rules=rules, now=_now, cache_size=0)


def _same(cached: Classifier, uncached: Classifier, exc: BaseException, context: Any = None) -> None:
    got, want = cached.classify(exc, context), uncached.classify(exc, context)
    assert got == want
    assert got.fingerprint == want.fingerprint


@pytest.mark.parametrize("rules", [(), RULES], ids=["builtins", "user-rules"])
def test_cached_equals_uncached_over_the_corpus_and_fresh_twins(rules: Any) -> None:
    cached, uncached = _pair(rules)
    first, twins = build_corpus(), build_corpus()  # the same failures, raised again
    for exc in first + twins + first:
        for context in (None, {"dag_id": "etl_orders", "task_id": "load"}):
            _same(cached, uncached, exc, context)
    assert cached.cache.hits > len(first), "the twins were served from the cache"


def _unit_test_exceptions() -> list[BaseException]:
    """The exceptions the signal unit tests build: HTTP clients, botocore, sockets (fresh each call)."""
    made: list[BaseException] = [connect_refused()]
    for build in BUILDERS:
        for status in (400, 401, 404, 422, 429, 500, 503):
            made.append(build(status, headers={"Retry-After": "7"} if status == 429 else None))
            made.append(build(status, path=f"/v1/orders/{status * 7}"))
    for code, status in (("ThrottlingException", 400), ("AccessDenied", 403), ("ValidationException", 400)):
        made.append(client_error(code, status))
    return made


def test_cached_equals_uncached_over_the_unit_test_exceptions() -> None:
    cached, uncached = _pair(RULES)
    first, twins = _unit_test_exceptions(), _unit_test_exceptions()
    for exc in first + twins:
        _same(cached, uncached, exc, {"dag_id": "etl_x", "task_id": "t"})
    assert cached.cache.hits >= len(first)


@FUZZ
@given(
    excs=st.lists(exceptions(), min_size=1, max_size=4),
    which=st.sampled_from([(), RULES]),
    context=CONTEXTS,
)
def test_cached_equals_uncached_for_arbitrary_chains(
    excs: list[BaseException], which: Any, context: Any
) -> None:
    cached, uncached = _pair(which)
    for exc in excs + excs:  # the second pass hits what the first cached
        _same(cached, uncached, exc, context)


def test_a_decision_that_read_the_message_holds_only_for_that_message() -> None:
    rules = [Rule(name="deadlocks", category="transient", exception=RuntimeError, message="deadlock")]
    cached, uncached = _pair(rules)
    for text in ("deadlock on row 7", "disk quota", "deadlock on row 7", "disk quota", "deadlock x"):
        _same(cached, uncached, RuntimeError(text))
    assert cached.classify(RuntimeError("deadlock")).rule == "user:deadlocks"
    assert cached.classify(RuntimeError("quota")).category.value == "unknown"


def _unavailable(host: str) -> requests.HTTPError:
    response = requests.Response()
    response.status_code, response.url, response.reason = 503, f"https://{host}/v1/x", "Unavailable"
    with pytest.raises(requests.HTTPError) as info:
        response.raise_for_status()
    return info.value


def test_the_host_in_a_reason_is_part_of_what_is_checked() -> None:
    cached, uncached = _pair()
    a, b = _unavailable("a.example.com"), _unavailable("b.example.com")
    for exc in (a, b, a, b):
        _same(cached, uncached, exc)
    assert "b.example.com" in cached.classify(b).reason


def test_scoped_rules_key_on_the_tasks_scope() -> None:
    scoped = Rule(name="etl-resets", category="data", exception=ConnectionResetError, dag_id="etl")
    cached, _ = _pair([scoped])
    reset = ConnectionResetError("reset")
    assert cached.classify(reset, {"dag_id": "etl"}).category.value == "data"
    assert cached.classify(ConnectionResetError("reset"), {"dag_id": "other"}).category.value == "transient"
    assert cached.classify(ConnectionResetError("reset"), {"dag_id": "etl"}).category.value == "data"


def test_the_cache_is_bounded_per_classifier_and_cleared_when_rules_change() -> None:
    unrelated = [Rule(name="unrelated", category="data", exception=UnicodeError)]  # no class table
    small = Classifier(rules=unrelated, cache_size=3)
    other = Classifier(rules=unrelated)
    for cls in (ValueError, KeyError, TimeoutError, ConnectionResetError, PermissionError):
        small.classify(cls("x"))
    assert len(small.cache) == 3 and len(other.cache) == 0
    assert small.classify(ValueError("y")).category.value == "data"
    small.rules = [Rule(name="values-retry", category="transient", exception=ValueError)]
    assert len(small.cache) == 0
    assert small.classify(ValueError("y")).rule == "user:values-retry"


def test_no_cache_with_plugin_classifiers_they_may_read_anything() -> None:
    seen: list[str] = []

    def plugin(exc: BaseException) -> None:
        seen.append(str(exc))

    classifier = Classifier(plugins=[plugin])
    classifier.classify(ValueError("a"))
    classifier.classify(ValueError("b"))
    assert seen == ["a", "b"] and len(classifier.cache) == 0
