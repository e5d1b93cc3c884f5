"""The guard's verdict memo gives exactly the classifier's verdicts, by message shape where exact."""

from __future__ import annotations

import errno
import itertools
from typing import Any

import pytest

from airflow_errorguard.classification import misconfiguration
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.message_scan import reads_digit_values
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.classification.verdict_shapes import VerdictMemo
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore
from airflow_errorguard.storage.quarantine_types import QuarantineItem

pytestmark = pytest.mark.unit


class StatusError(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class Unprintable(ValueError):
    def __str__(self) -> str:
        raise RuntimeError("no")


def _chained(message: str) -> BaseException:
    try:
        try:
            raise KeyError(message)
        except KeyError as inner:
            raise ValueError(f"bad row: {message}") from inner
    except ValueError as outer:
        return outer


MESSAGES = (
    "record {n} is not valid",
    "invalid literal for int() with base 10: 'x{n}'",
    "could not convert string to float: '{n}.5'",
    "row {n}: 401 unauthorized",
    "status {n}01 unauthorized",
    "field {n}: tlsv1 alert unknown ca",
    "timeout {n} must be > 0",
    "connection refused on row {n}",
    "see https://api.example.com/v1/items/{n}",
    "see http://[::{n}]/x",
    "see https://api{n}.example.com/x",
    "id 0x{n}f at /tmp/data_{n}.csv",
    "certificate verify failed for row {n}",
    "name or service not known: host{n}",
    "value {n}{n}{n} out of range 1-9",
    "\u0663{n} arabic-indic digits",
    "\u02bc{n}\u02bc \u00e9t\u00e9 {n}",
    "x" * 1990 + "{n}",
    "x" * 2100 + "{n}",
)


def _workload() -> list[BaseException]:
    found: list[BaseException] = []
    for n, text, kind in itertools.product(
        (1, 2, 4, 7, 10, 17, 42, 99, 305), MESSAGES, (ValueError, TypeError, KeyError, RuntimeError)
    ):
        found.append(kind(text.format(n=n)))
    for n in (3, 4, 503, 404, 429):
        found.append(StatusError(f"request {n} failed", n))
        found.append(OSError(errno.ENOSPC if n % 2 else errno.EACCES, f"file {n}"))
        found.append(_chained(f"row {n}"))
        found.append(Unprintable())
    return found


def _view(verdict: Classification) -> dict[str, Any]:
    return {
        "category": verdict.category,
        "action": verdict.action,
        "confidence": verdict.confidence,
        "rule": verdict.rule,
        "reason": verdict.reason,
        "retry_after": verdict.retry_after,
        "exception_type": verdict.exception_type,
        "signals": dict(verdict.signals),
        "fingerprint_source": verdict.fingerprint_source,
        "fingerprint_text": verdict.fingerprint_text,
        "fingerprint": verdict.fingerprint,
        "backoff": verdict.backoff,
        "max_retries": verdict.max_retries,
    }


def test_same_verdicts_as_the_classifier_on_a_mixed_workload() -> None:
    memo = VerdictMemo(Classifier())
    reference = Classifier(cache_size=0)  # every verdict computed from scratch
    workload = _workload()
    for exc in workload * 2:
        assert _view(memo.classify(exc)) == _view(reference.classify(exc)), repr(exc)
    assert memo.hits > len(workload) // 2  # shapes shared: most records were served by the memo


def test_message_read_with_the_verdict_is_the_exceptions() -> None:
    memo = VerdictMemo(Classifier())
    for n in (1, 2, 3):
        exc = ValueError(f"record {n} is not valid")
        verdict, message, known = memo.lookup(exc)
        assert message == str(exc)
        if n == 1:
            assert verdict is not None and known is None
            first = verdict
        else:  # served by shape: what the quarantine item needs, no verdict built
            assert verdict is None and known is not None
            assert (known.category, known.fingerprint, known.reason) == (
                first.category.value,
                first.fingerprint,
                first.reason,
            )
    assert memo.hits == 2


def test_other_message_reads_of_the_builtins_are_digit_blind() -> None:
    # The memo shares a verdict among messages of one shape; beyond message_scan, the built-ins
    # read a message only through these (TLS and unknown-host hints).
    assert not reads_digit_values(misconfiguration._TLS_MODE_MESSAGE.pattern)
    assert not reads_digit_values(misconfiguration._TLS_VERIFICATION_MESSAGE.pattern)
    for hint in misconfiguration._UNKNOWN_HOST_HINTS:
        assert not reads_digit_values(hint), hint


def test_user_rules_turn_the_memo_off() -> None:
    rule = Rule(category="configuration", name="seventeen", message=r"record 17\b")
    memo = VerdictMemo(Classifier(rules=[rule]))
    verdicts = [memo.classify(ValueError(f"record {n} is not valid")) for n in (12, 17, 12)]
    assert [v.category.value for v in verdicts] == ["data", "configuration", "data"]
    assert memo.hits == 0


def test_guarded_run_quarantines_what_the_classifier_says() -> None:
    def picky(record: int) -> int:
        if record % 3 == 0:
            raise ValueError(f"invalid literal for int() with base 10: 'x{record}'")
        if record % 3 == 1:
            raise KeyError(f"col{record}")
        return record

    store = MemoryGuardStore()
    classifier = Classifier()
    run = GuardedRun(picky, store, GuardOptions(batch_size=7), classifier=classifier)
    run.run(lambda position: itertools.islice(range(30), position, None))
    reference = Classifier(cache_size=0)
    assert len(store.items) == 20
    for item in store.items.values():
        record = item.payload
        try:
            picky(record)
        except Exception as exc:
            expected = QuarantineItem.from_exception(item.record_key, record, exc, reference.classify(exc))
        assert (item.error_category, item.fingerprint, item.reason, item.error_message, item.error_type) == (
            expected.error_category,
            expected.fingerprint,
            expected.reason,
            expected.error_message,
            expected.error_type,
        )
    assert run._verdicts.hits > 10
