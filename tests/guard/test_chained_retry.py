"""
Each attempt of an in-process retry is classified on its own exception (issue 13 §6): a retry
raising a data error while the first attempt's reset connection is being handled carries it as
``__context__``; that earlier attempt must not make the data error look transient. Real chained
exceptions through the retry runner, the guarded engine and ``ErrorGuard.run_with_retry``.
"""

from __future__ import annotations

import errno
import itertools
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore
from airflow_errorguard.guard.facade import ErrorGuard
from airflow_errorguard.retry.runner import ATTEMPTS_ATTR, InProcessRetrier
from airflow_errorguard.storage.identity import TaskIdentity

pytestmark = pytest.mark.unit

FAST = Backoff(base_delay=timedelta(0), max_delay=timedelta(0), jitter="none", max_attempts=4, deadline=None)


class ResetThenBadCurrency:
    """``post(order)``: the connection resets on the first call, the order's currency is bad after."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, order: Any = None) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        raise ValueError("unknown currency 'EURO'")


def test_the_chain_alone_would_look_transient() -> None:
    """The premise: classified as a whole, the data error raised while handling a reset is transient."""
    post = ResetThenBadCurrency()
    try:
        post()
    except ConnectionResetError:
        try:
            post()
        except ValueError as err:
            chained = err
    assert isinstance(chained.__context__, ConnectionResetError)
    assert Classifier().classify(chained).category.value == "transient"
    assert Classifier().classify(chained, ignore=[chained.__context__]).category.value == "data"


def test_runner_retrying_inside_the_handler_judges_each_attempt_alone() -> None:
    post = ResetThenBadCurrency()
    retrier = InProcessRetrier(FAST, Classifier(), sleep=lambda _: None)
    with pytest.raises(ValueError, match="EURO") as info:
        try:
            post()
        except ConnectionResetError as first:
            replay = iter([first])

            def again() -> Any:  # the first attempt is the failure at hand, then real calls
                earlier = next(replay, None)
                if earlier is not None:
                    raise earlier
                return post()

            retrier.call(again)  # inside the handler: the ValueError chains the reset
    assert isinstance(info.value.__context__, ConnectionResetError)
    attempts = getattr(info.value, ATTEMPTS_ATTR)
    assert [a.classification.category.value for a in attempts] == ["transient", "data"]
    assert post.calls == 2, "the data error is not retried"


def test_guarded_engine_quarantines_the_data_error_of_a_retry() -> None:
    post = ResetThenBadCurrency()
    store = MemoryGuardStore()
    run = GuardedRun(post, store, GuardOptions(batch_size=10, in_process_retry=FAST), sleep=lambda _: None)
    summary = run.run(lambda position: itertools.islice([{"id": 1, "currency": "EURO"}], position, None))
    assert (summary["quarantined"], summary["retried_in_process"], post.calls) == (1, 1, 2)
    (item,) = store.items.values()
    assert (item.error_category, item.error_type) == ("data", "builtins.ValueError")
    assert "During handling of the above exception" not in item.traceback


def test_facade_run_with_retry_then_quarantine_sees_a_data_error() -> None:
    post = ResetThenBadCurrency()
    identity = TaskIdentity("etl", "load", "r1", try_number=1)
    guard = ErrorGuard(SimpleNamespace(checkpoints=None), identity, in_process_retry=FAST)  # type: ignore[arg-type]
    guard.retrier.sleep = lambda _: None
    with pytest.raises(ValueError, match="EURO") as info:
        guard.run_with_retry(post, {"id": 1})
    attempts = getattr(info.value, ATTEMPTS_ATTR)
    assert [a.classification.category.value for a in attempts] == ["transient", "data"]
    assert post.calls == 2
