"""
The retry policy's repeat table (a repeat decided without ``resolve()``) never changes a decision:
a policy whose classifier caches decides every exception, repeated or not, as one whose classifier
does not cache (the same seeded backoff: the same delays, reasons and actions); a message the kept
decision did not see, rules changed, or another classifier, and the table does not serve.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy
from tests.unit.classification.test_fuzz import FUZZ, RULES
from tests.unit.classification.test_quick_key import twins

pytestmark = [pytest.mark.unit, pytest.mark.airflow33]

CONTEXTS = [None, {"dag_id": "etl_orders", "task_id": "load"}, {"dag_id": "other", "task_id": "load"}]


def _pair(rules: Any = ()) -> tuple[ErrorGuardRetryPolicy, ErrorGuardRetryPolicy]:
    cached = ErrorGuardRetryPolicy(classifier=Classifier(rules=rules), backoff=Backoff(seed=3))
    uncached = ErrorGuardRetryPolicy(
        classifier=Classifier(rules=rules, cache_size=0), backoff=Backoff(seed=3)
    )
    return cached, uncached


def _same(
    cached: ErrorGuardRetryPolicy, uncached: ErrorGuardRetryPolicy, exc: BaseException, **kw: Any
) -> None:
    for try_number in (1, 2, 5):
        got = cached.evaluate(exc, try_number, 4, **kw)
        want = uncached.evaluate(exc, try_number, 4, **kw)
        assert (got.action, got.retry_delay, got.reason) == (want.action, want.retry_delay, want.reason)


@FUZZ
@given(pair=twins(), rules=st.sampled_from([(), RULES]), context=st.sampled_from(CONTEXTS))
def test_a_repeat_decides_as_an_uncached_policy(pair: Any, rules: Any, context: Any) -> None:
    first, second = pair
    cached, uncached = _pair(rules)
    for exc in (first[0], second[0], first[0], second[0], first[0]):
        _same(cached, uncached, exc, context=context)


def test_repeats_are_served_by_the_table() -> None:
    cached, uncached = _pair()
    for message in ("a", "b", "c", "d"):
        _same(cached, uncached, ConnectionResetError(104, f"reset {message}"))
        _same(cached, uncached, KeyError(message))
    table = cached._repeats
    assert table.lookup(cached.classifier, KeyError("e"), None) is not None
    assert table.lookup(cached.classifier, ConnectionResetError(104, "reset d"), None) is not None
    # the kept transient decision (the last one) read its message for the TLS / unknown-host checks:
    # another message misses, and goes through resolve()
    assert table.lookup(cached.classifier, ConnectionResetError(104, "reset z"), None) is None
    assert table.lookup(cached.classifier, ValueError("never kept"), None) is None


def test_a_message_the_kept_decision_did_not_see_is_decided_afresh() -> None:
    cached, uncached = _pair()
    for _ in range(3):
        _same(cached, uncached, sqlite3.OperationalError("database is locked"))
    _same(cached, uncached, sqlite3.OperationalError("no such table: orders"))
    _same(cached, uncached, sqlite3.OperationalError("database is locked"))


def test_rules_changed_or_another_classifier_and_the_table_starts_again() -> None:
    cached, _ = _pair()
    for message in ("a", "b", "c"):
        cached.evaluate(KeyError(message), 1, 4)
    assert cached._repeats.lookup(cached.classifier, KeyError("x"), None) is not None
    rule = Rule(name="keys-retry", category="transient", exception=KeyError)
    cached.classifier.rules = [rule]  # clears the classifier's cache: the table no longer serves
    assert cached._repeats.lookup(cached.classifier, KeyError("x"), None) is None
    _same(cached, _pair([rule])[1], KeyError("d"))
    assert "keys-retry" in (cached.evaluate(KeyError("e"), 1, 4).reason or "")
    cached.classifier = Classifier()  # swapped by hand: the table belonged to the other cache
    assert cached._repeats.lookup(cached.classifier, KeyError("x"), None) is None
    _same(cached, _pair()[1], KeyError("f"))
    default = ErrorGuardRetryPolicy()
    bound = default.with_classifier(Classifier(), "test")
    assert bound._repeats is not default._repeats
