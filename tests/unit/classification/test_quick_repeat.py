"""
:func:`.quick_key.quick_repeat`, the warm path of a lone repeated failure in one call, finds what
the quick key and :meth:`.VerdictCache.quick_lookup` find, or nothing (then they decide).
"""

from __future__ import annotations

import errno
import sqlite3

import pytest

from airflow_errorguard.classification.cached_decision import Decision, QuickHit
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.quick_key import quick_key, quick_repeat
from tests.unit.classification.test_quick_fast_paths import Hostile, Long, Subclassed

pytestmark = pytest.mark.unit


def _failures() -> list[BaseException]:
    return [
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        ConnectionResetError(errno.ECONNRESET, "certificate verify failed"),
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        RuntimeError("boom"),
        RuntimeError("password authentication failed for user x"),
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("no such table: t"),
        TimeoutError("read timed out"),
        Hostile(errno.ECONNRESET, "reset"),
        Long(errno.ECONNRESET, "reset"),
        Subclassed(errno.ECONNRESET, "reset"),
    ]


def _fields(hit: QuickHit | None) -> tuple[object, ...] | None:
    if hit is None:
        return None
    return hit.decision, hit.signals, hit.decided_on, hit.message


def test_it_finds_what_the_quick_key_and_the_lookup_find() -> None:
    classifier = Classifier()
    for _ in range(3):  # seen, filed under the quick key
        for exc in _failures():
            classifier.resolve(exc)
    served = 0
    for exc in _failures():
        found = quick_key(exc, None)
        assert found is not None
        expected = classifier.cache.quick_lookup(found[0], found[1], [])
        got = quick_repeat(classifier.cache, exc)
        assert got is None or _fields(got) == _fields(expected)
        served += got is not None
        assert classifier.classify(exc) == Classifier(cache_size=0).classify(exc)
    assert served >= 6


def test_a_chained_failure_or_another_read_is_left_to_the_general_path() -> None:
    classifier = Classifier()
    try:
        try:
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        except ConnectionResetError as inner:
            raise RuntimeError("fetch failed") from inner
    except RuntimeError as outer:
        chained = outer
    for _ in range(3):
        classifier.resolve(chained)
    assert quick_repeat(classifier.cache, chained) is None
    assert isinstance(classifier.resolve(chained), QuickHit)

    exc = TimeoutError("read timed out")
    for _ in range(3):
        classifier.resolve(exc)
    key = quick_key(exc, None)
    assert key is not None and quick_repeat(classifier.cache, exc) is not None
    decision = classifier.cache._quick[key[0]][0][0]
    odd = Decision(decision.verdict, 0, decision.head, False, ((0, "host", None),))
    classifier.cache._quick[key[0]].insert(0, (odd, {}))  # a read only holds_for_chain checks
    assert quick_repeat(classifier.cache, exc) is None
    assert classifier.resolve(exc).decision is odd  # type: ignore[union-attr]
