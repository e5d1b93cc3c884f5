"""
The quick key of the verdict cache (read before the exception's facts) never changes a verdict:
a fresh exception with the same class, the same plain signal values and the same chain shape, but
another message, gets what an uncached classifier gives it; values that are equal but not the same
fact (``True``, ``1``, ``1.0``, ``HTTPStatus``) never share a key; facts the knowledge reads off
errorguard's own exceptions are part of every key.
"""

from __future__ import annotations

import contextlib
import http
import sqlite3
from types import SimpleNamespace
from typing import Any

import psycopg2.errors
import pymysql.err
import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.quick_key import QUICK_LAZY, quick_key
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.classification.verdict_cache import LAZY_SLOTS
from airflow_errorguard.exceptions import ErrorGuardAlert, ErrorGuardStorageError
from tests.unit.classification.test_fuzz import FUZZ, RULES, texts

pytestmark = pytest.mark.unit

CLASSES: list[type[BaseException]] = [
    Exception,
    OSError,
    ConnectionResetError,
    TimeoutError,
    ValueError,
    KeyError,
    RuntimeError,
    sqlite3.OperationalError,
    ErrorGuardStorageError,
    pymysql.err.OperationalError,
    psycopg2.errors.DeadlockDetected,
]
QUICK_ATTRS = [
    "status_code",
    "status",
    "http_status",
    "response_code",
    "code",
    "errno",
    "sqlstate",
    "pgcode",
    "sqlite_errorname",
    "connection_invalidated",
    "reason",
    "retry_after",
    "headers",
    "transient",
    "category",
]
PLAIN = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, 1.0, 5, 28, 104, 111, 404, 429, 503, http.HTTPStatus.NOT_FOUND]),
    st.sampled_from(["40001", "28P01", "SQLITE_BUSY", "503", "data", "transient", "x"]),
)


def _pair(rules: Any = ()) -> tuple[Classifier, Classifier]:
    return Classifier(rules=rules), Classifier(rules=rules, cache_size=0)


#: A rule that matches none of these tests' exceptions: with a rule, no compiled class table serves
#: a classifier (see ``class_table``), so the verdict cache and its quick key are what is tested.
UNRELATED = [Rule(name="unrelated", category="data", exception=UnicodeError)]


def _make(cls: type[BaseException], message: str, attrs: dict[str, Any], code: Any = None) -> BaseException:
    exc = cls.__new__(cls, message)
    exc.args = (message,) if code is None else (code, message)
    for name, value in attrs.items():
        with contextlib.suppress(AttributeError, TypeError):  # read-only on some classes
            setattr(exc, name, value)
    return exc


@st.composite
def twins(draw: st.DrawFn) -> tuple[list[BaseException], list[BaseException]]:
    """Two raisings of one failure: same classes, values and chain shape, messages drawn apart."""
    links = []
    for _ in range(draw(st.integers(1, 3))):
        cls = draw(st.sampled_from(CLASSES))
        attrs = draw(st.dictionaries(st.sampled_from(QUICK_ATTRS), PLAIN, max_size=3))
        code = draw(st.sampled_from([None, None, 1205, 1213, 2003, True]))  # args[0]: a MySQL error number
        links.append((cls, attrs, code))
    shape = draw(st.lists(st.sampled_from(["cause", "context", "from"]), min_size=len(links) - 1,
                          max_size=len(links) - 1))  # fmt: skip
    made: list[list[BaseException]] = []
    for _ in range(2):
        chain = [_make(cls, draw(texts), attrs, code) for cls, attrs, code in links]
        for outer, inner, how in zip(chain, chain[1:], shape, strict=False):
            if how == "cause":
                outer.__cause__ = inner
                outer.__suppress_context__ = False
            elif how == "context":
                outer.__context__ = inner
            else:  # raise outer from inner inside `except inner`
                outer.__cause__ = outer.__context__ = inner
        made.append(chain)
    return made[0], made[1]


@FUZZ
@given(pair=twins(), rules=st.sampled_from([(), RULES]))
def test_a_quick_hit_equals_an_uncached_classification(pair: Any, rules: Any) -> None:
    first, second = pair
    cached, uncached = _pair(rules)
    for exc in (first[0], second[0], first[0], second[0]):
        got, want = cached.classify(exc), uncached.classify(exc)
        assert got == want
        assert got.fingerprint == want.fingerprint


def test_equal_values_that_are_different_facts_do_not_share_a_key() -> None:
    keys = set()
    for value in (True, 1, 1.0, http.HTTPStatus.CONTINUE, "1", None):
        exc = ValueError("x")
        exc.errno = value  # type: ignore[attr-defined]
        found = quick_key(exc, None)
        assert found is not None
        keys.add(found[0])
    assert len(keys) == 6


def test_a_mysql_error_number_in_args_is_part_of_the_key() -> None:
    cached, uncached = _pair()
    for code in (1213, 1213, 1045, 2003, 1213, 1045):
        exc = pymysql.err.OperationalError(code, "server said no")
        assert cached.classify(exc) == uncached.classify(exc)
    assert cached.cache.quick_hits + cached.cache.table_hits >= 1
    # Compare the keys alone: the second item holds the exception objects, never equal.
    deadlock, denied, again = (
        quick_key(pymysql.err.OperationalError(code, "x"), None) for code in (1213, 1045, 1213)
    )
    assert deadlock is not None and denied is not None and again is not None
    assert deadlock[0] != denied[0]
    assert deadlock[0] == again[0]


def test_objects_in_signal_attributes_have_no_quick_key() -> None:
    exc = ValueError("x")
    exc.response = object()  # type: ignore[attr-defined]
    assert quick_key(exc, None) is None
    hidden = ValueError("outer")
    hidden.__context__, hidden.__suppress_context__ = KeyError("k"), True  # raise ... from None
    assert quick_key(hidden, None) is None
    assert quick_key(ValueError(ValueError("passed as an argument")), None) is None


class _PgLike(Exception):
    """A psycopg-like error whose SQLSTATE is only on ``diag`` (``pgcode`` empty)."""

    pgcode = None

    def __init__(self, message: str, sqlstate: Any) -> None:
        super().__init__(message)
        self._diag = SimpleNamespace(sqlstate=sqlstate)

    @property
    def diag(self) -> Any:
        return self._diag


def test_the_sqlstate_read_off_diag_is_part_of_the_key() -> None:
    """Without ``pgcode``, the SQLSTATE comes from ``diag``: a plain one keys, an object does not."""
    assert quick_key(psycopg2.errors.DeadlockDetected("no pgcode: diag is read"), None) is not None
    assert quick_key(_PgLike("x", "40P01"), None) != quick_key(_PgLike("x", "28P01"), None)
    assert quick_key(_PgLike("x", object()), None) is None
    for rules in ((), UNRELATED):
        cached, uncached = _pair(rules)
        for state in ("40P01", "28P01", "40P01", "23505", "28P01", None, "40P01", None):
            exc = _PgLike("server said no", state)
            assert cached.classify(exc) == uncached.classify(exc)
        assert cached.cache.quick_hits + cached.cache.table_hits >= 3


def test_repeated_failures_are_served_by_the_quick_key() -> None:
    cached, uncached = _pair()
    for _ in range(5):
        try:
            try:
                raise ConnectionResetError(104, "Connection reset by peer")  # fresh objects
            except ConnectionResetError as err:
                raise RuntimeError("upload failed") from err  # its message is read
        except RuntimeError as exc:
            assert cached.classify(exc) == uncached.classify(exc)
    # 1st: classified and cached; 2nd: a chain-key hit that files the quick key; then quick hits.
    assert cached.cache.quick_hits == 3


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (ErrorGuardStorageError("db down", transient=True), ErrorGuardStorageError("db down")),
        (
            ErrorGuardAlert("failed", record_key="k", category="data"),
            ErrorGuardAlert("failed", record_key="k", category="configuration"),
        ),
    ],
)
def test_what_knowledge_reads_off_errorguards_own_exceptions_is_part_of_the_key(
    first: BaseException, second: BaseException
) -> None:
    cached, uncached = _pair()
    assert cached.classify(first) == uncached.classify(first)
    assert cached.classify(second) == uncached.classify(second)
    assert cached.classify(first).category != cached.classify(second).category


def test_a_message_rule_is_checked_again_on_a_quick_hit() -> None:
    cached, uncached = _pair([Rule(name="dl", category="transient", exception=KeyError, message="deadlock")])
    for text in ("deadlock", "missing", "deadlock", "missing"):
        assert cached.classify(KeyError(text)) == uncached.classify(KeyError(text))


def test_a_failure_never_seen_before_pays_nothing_for_the_quick_key() -> None:
    cached, _ = _pair(UNRELATED)
    cached.classify(KeyError("a"))
    assert KeyError in cached.cache.seen and len(cached.cache._quick) == 0
    cached.classify(KeyError("a"))
    assert len(cached.cache._quick) == 1
    cached.cache.clear()
    assert not cached.cache.seen and not cached.cache._quick


def test_a_class_whose_exceptions_hold_objects_stops_trying_the_quick_key() -> None:
    cached, uncached = _pair()
    for status in (503, 503, 404, 503):
        exc = ValueError("upstream failed")
        exc.response = SimpleNamespace(status_code=status, headers={}, url="https://a.example/x")  # type: ignore[attr-defined]
        assert cached.classify(exc) == uncached.classify(exc)
    assert cached.cache.seen[ValueError] is False and cached.cache.quick_hits == 0
    assert cached.cache.hits == 2  # the chain key still serves them


def test_every_lazily_read_fact_is_one_a_quick_hit_knows() -> None:
    # A new lazy fact on LinkFacts must be taught to the quick key (checked again, or None there).
    assert {slot[1:] for slot in LAZY_SLOTS} == QUICK_LAZY
