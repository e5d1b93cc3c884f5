"""
The warm path's shortcuts give what the code they replace gives: a quick key's signal names found
without a set intersection (any insertion order, many attributes), a quick hit built without its
``__init__``, and a message read inline (a ``str()`` that raises, a long or subclassed one).
"""

from __future__ import annotations

import errno

import pytest

from airflow_errorguard.classification.cached_decision import QuickHit, quick_hit, unprintable
from airflow_errorguard.classification.class_plan import SIGNAL_SET
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.quick_key import quick_key
from airflow_errorguard.classification.safe_read import MAX_MESSAGE, safe_str

pytestmark = pytest.mark.unit


class Tagged(Exception):
    """A failure with signal attributes set on the instance."""


def _tagged(order: list[str]) -> Tagged:
    exc = Tagged("boom")
    for name in order:
        setattr(exc, name, {"status_code": 503, "code": "E1", "sqlite_errorname": "SQLITE_BUSY"}.get(name, 1))
    return exc


def test_signal_names_are_read_in_sorted_order_whatever_the_instance_dicts_order() -> None:
    names = ["status_code", "code", "sqlite_errorname", "other", "zzz"]
    assert {"status_code", "code", "sqlite_errorname"} <= SIGNAL_SET and "zzz" not in SIGNAL_SET
    forward = quick_key(_tagged(names), None)
    backward = quick_key(_tagged(names[::-1]), None)
    assert forward is not None and backward is not None
    assert forward[0] == backward[0]
    signature = forward[0][2]  # type: ignore[index]
    assert [part[0] for part in signature] == sorted({"status_code", "code", "sqlite_errorname"})


def test_quick_hit_is_the_quick_hit_its_init_builds() -> None:
    classifier = Classifier()
    exc = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    for _ in range(3):
        found = classifier.resolve(ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"))
    assert isinstance(found, QuickHit)
    made = quick_hit(found.decision, found.signals, exc, None)
    slow = QuickHit(found.decision, found.signals, exc, None)
    assert type(made) is QuickHit
    assert {n: getattr(made, n) for n in (*QuickHit.__slots__, "decision", "_verdict")} == {
        n: getattr(slow, n) for n in (*QuickHit.__slots__, "decision", "_verdict")
    }
    assert made.verdict == slow.verdict == Classifier(cache_size=0).classify(exc)


class Hostile(ConnectionResetError):
    def __str__(self) -> str:
        raise RuntimeError("no text")


class Long(ConnectionResetError):
    def __str__(self) -> str:
        return "x" * (MAX_MESSAGE + 50)


class Shown(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


class Subclassed(ConnectionResetError):
    def __str__(self) -> str:
        return Shown("[Errno 104] Connection reset by peer")


def test_unprintable_is_safe_strs_placeholder() -> None:
    exc = Hostile(errno.ECONNRESET, "reset")
    with pytest.raises(RuntimeError) as raised:
        str(exc)
    assert unprintable(exc, raised.value) == safe_str(exc)


@pytest.mark.parametrize("kind", [Hostile, Long, Subclassed])
def test_a_repeat_with_a_strange_str_gets_the_uncached_verdict(kind: type[ConnectionResetError]) -> None:
    classifier = Classifier()
    for _ in range(4):  # seen, filed under the quick key, served by it
        cached = classifier.classify(kind(errno.ECONNRESET, "Connection reset by peer"))
    assert classifier.cache.quick_hits > 0
    assert cached == Classifier(cache_size=0).classify(kind(errno.ECONNRESET, "Connection reset by peer"))
