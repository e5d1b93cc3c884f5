"""Assertions and small builders shared by the unit tests (import as ``tests.unit.helpers``)."""

from __future__ import annotations

import builtins
import re
import socket
from collections.abc import Callable, Sequence
from contextlib import closing
from typing import Any

from airflow_errorguard.classification.model import (
    DEFAULT_ACTIONS,
    Classification,
    ErrorAction,
    ErrorCategory,
)

HEX16 = re.compile(r"[0-9a-f]{16}")

# Python 3.11 builtins, looked up so that ruff (targeting 3.10) knows the names.
ExceptionGroup: Any = builtins.ExceptionGroup
BaseExceptionGroup: Any = builtins.BaseExceptionGroup


def assert_valid(result: object) -> Classification:
    """*result* is a well-formed :class:`Classification` (whatever it says)."""
    assert isinstance(result, Classification), result
    assert isinstance(result.category, ErrorCategory)
    assert isinstance(result.action, ErrorAction)
    assert isinstance(result.confidence, float)
    assert 0.0 <= result.confidence <= 1.0, result.confidence
    assert isinstance(result.reason, str)
    assert result.reason.strip(), "empty reason"
    assert isinstance(result.rule, str)
    assert result.rule
    assert HEX16.fullmatch(result.fingerprint), result.fingerprint
    return result


def assert_verdict(
    result: Classification,
    category: ErrorCategory,
    rule_prefix: str,
    *,
    reason_has: tuple[str, ...] = (),
    action: ErrorAction | None = None,
    min_confidence: float = 0.5,
) -> Classification:
    """
    *result* is *category* with its default (or the given) action, decided by a rule whose name
    starts with *rule_prefix* (the signal family), confident enough, with a reason naming the signal.
    """
    assert_valid(result)
    assert result.category is category, (result.category, result.rule, result.reason)
    assert result.action is (action or DEFAULT_ACTIONS[category]), result.action
    assert result.rule.startswith(rule_prefix), (result.rule, result.reason)
    assert min_confidence <= result.confidence <= 1.0, (result.confidence, result.rule)
    for text in reason_has:
        assert text in result.reason, (text, result.reason)
    return result


def raised(fn: Callable[[], Any]) -> BaseException:
    """The exception *fn* raises, as raised (with its traceback); fails the test if none is."""
    try:
        fn()
    except BaseException as exc:
        return exc
    raise AssertionError("did not raise")


def assert_cached_equals_uncached(
    makers: Sequence[tuple[Callable[[], BaseException], ErrorCategory]], order: Sequence[int]
) -> None:
    """
    Classifies ``makers[i][0]()`` for each *i* of *order*, twice over, with a caching and an
    uncaching ``Classifier``: the verdicts and fingerprints are equal and each is ``makers[i][1]``.
    """
    from airflow_errorguard import Classifier

    cached, uncached = Classifier(), Classifier(cache_size=0)
    for index in [*order, *order]:
        make, want = makers[index]
        exc = make()
        got, expected = cached.classify(exc), uncached.classify(exc)
        assert got == expected and got.fingerprint == expected.fingerprint
        assert got.category is want, index


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
