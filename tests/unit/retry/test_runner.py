"""In-process retrying (run_with_retry, retry_transient, InProcessRetrier) with a fake clock."""

from __future__ import annotations

import asyncio
import errno
import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorAction, ErrorCategory
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.retry.runner import (
    ATTEMPTS_ATTR,
    Attempt,
    InProcessRetrier,
    retry_transient,
    run_with_retry,
)

pytestmark = pytest.mark.unit


class FakeTime:
    """A monotonic clock that only moves when something sleeps (or a call takes time)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class Flaky:
    """Raises the given errors in turn (the last one forever when ``repeat``), then returns."""

    def __init__(
        self,
        *errors: BaseException | Callable[[], BaseException],
        repeat: bool = False,
        result: Any = "ok",
        takes: float = 0.0,
        time: FakeTime | None = None,
    ) -> None:
        self.errors, self.repeat, self.result = list(errors), repeat, result
        self.takes, self.time = takes, time
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.raised: list[BaseException] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        if self.time is not None:
            self.time.now += self.takes
        index = len(self.calls) - 1
        if index < len(self.errors) or (self.repeat and self.errors):
            spec = self.errors[min(index, len(self.errors) - 1)]
            exc = spec() if callable(spec) and not isinstance(spec, BaseException) else spec
            self.raised.append(exc)
            raise exc
        return self.result


def reset() -> ConnectionResetError:
    return ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")


NO_JITTER = Backoff(base_delay=1, max_delay=10, jitter="none", max_attempts=5, deadline=None)


def test_success_after_transient_failures_returns_value_and_history() -> None:
    time = FakeTime()
    fn = Flaky(reset(), TimeoutError("read timed out"), result=42)
    retrier = InProcessRetrier(backoff=NO_JITTER, classifier=Classifier(), sleep=time.sleep, clock=time.clock)
    value, history = retrier.call_with_history(fn)
    assert value == 42
    assert len(fn.calls) == 3
    assert time.sleeps == [1.0, 2.0]
    assert [a.number for a in history] == [1, 2]
    assert [a.exception_type for a in history] == ["ConnectionResetError", "TimeoutError"]
    assert [a.delay for a in history] == [timedelta(seconds=1), timedelta(seconds=2)]
    assert all(a.classification.category is ErrorCategory.TRANSIENT for a in history)
    assert history[1].message == "read timed out"
    assert retrier.call(Flaky(result="again")) == "again"


def test_stops_at_max_attempts_and_attaches_history() -> None:
    time = FakeTime()
    fn = Flaky(reset, repeat=True)
    backoff = Backoff(base_delay=1, max_delay=10, jitter="none", max_attempts=3, deadline=None)
    with pytest.raises(ConnectionResetError) as info:
        run_with_retry(fn, backoff=backoff, classifier=Classifier(), sleep=time.sleep, clock=time.clock)
    assert info.value is fn.raised[-1]  # the original exception of the last attempt
    assert len(fn.calls) == 3
    assert time.sleeps == [1.0, 2.0]
    attempts = getattr(info.value, ATTEMPTS_ATTR)
    assert isinstance(attempts, tuple) and all(isinstance(a, Attempt) for a in attempts)
    assert [a.number for a in attempts] == [1, 2, 3]
    assert [a.delay for a in attempts] == [timedelta(seconds=1), timedelta(seconds=2), None]
    assert info.value.__notes__ == [
        "errorguard: 3 attempt(s) in-process: #1 transient then waited 1.00s, "
        "#2 transient then waited 2.00s, #3 transient"
    ]


@pytest.mark.parametrize(
    ("error", "category"),
    [
        (KeyError("customer_id"), ErrorCategory.DATA),
        (PermissionError(errno.EACCES, "Permission denied"), ErrorCategory.CONFIGURATION),
        (MemoryError(), ErrorCategory.SYSTEM),
    ],
)
def test_non_retry_classifications_propagate_at_once(error: BaseException, category: ErrorCategory) -> None:
    time = FakeTime()
    fn = Flaky(error, repeat=True)
    with pytest.raises(type(error)) as info:
        run_with_retry(fn, backoff=NO_JITTER, classifier=Classifier(), sleep=time.sleep, clock=time.clock)
    assert info.value is error
    assert len(fn.calls) == 1
    assert time.sleeps == []
    [attempt] = getattr(info.value, ATTEMPTS_ATTR)
    assert attempt.classification.category is category
    assert attempt.classification.action is not ErrorAction.RETRY
    assert attempt.delay is None


def test_unknown_errors_are_retried_like_airflow_would() -> None:
    time = FakeTime()
    fn = Flaky(RuntimeError("something odd"), result="fine")
    assert (
        run_with_retry(fn, backoff=NO_JITTER, classifier=Classifier(), sleep=time.sleep, clock=time.clock)
        == "fine"
    )
    assert len(fn.calls) == 2


def test_a_permanent_error_after_transient_ones_stops_retrying() -> None:
    time = FakeTime()
    fn = Flaky(reset(), KeyError("id"), reset())
    with pytest.raises(KeyError):
        run_with_retry(fn, backoff=NO_JITTER, classifier=Classifier(), sleep=time.sleep, clock=time.clock)
    assert len(fn.calls) == 2
    assert [a.classification.category for a in getattr(fn.raised[-1], ATTEMPTS_ATTR)] == [
        ErrorCategory.TRANSIENT,
        ErrorCategory.DATA,
    ]


def test_deadline_stops_before_a_wait_that_would_cross_it() -> None:
    time = FakeTime()
    fn = Flaky(reset, repeat=True)
    backoff = Backoff(base_delay=10, max_delay=100, jitter="none", max_attempts=10, deadline=25)
    with pytest.raises(ConnectionResetError) as info:
        run_with_retry(fn, backoff=backoff, classifier=Classifier(), sleep=time.sleep, clock=time.clock)
    # t=0 fail, wait 10 (ends at 10 <= 25); t=10 fail, the next wait of 20 would end at 30 > 25: stop.
    assert time.sleeps == [10.0]
    assert len(fn.calls) == 2
    assert [a.delay for a in getattr(info.value, ATTEMPTS_ATTR)] == [timedelta(seconds=10), None]


def test_deadline_counts_the_time_calls_take() -> None:
    time = FakeTime()
    fn = Flaky(reset, repeat=True, takes=8.0, time=time)
    backoff = Backoff(base_delay=1, max_delay=100, jitter="none", max_attempts=10, deadline=20)
    with pytest.raises(ConnectionResetError):
        run_with_retry(fn, backoff=backoff, classifier=Classifier(), sleep=time.sleep, clock=time.clock)
    # 8 (+1) -> 9, 17 (+2) -> 19, 27 + 4 > 20: stop after the third call.
    assert time.sleeps == [1.0, 2.0]
    assert len(fn.calls) == 3
    assert time.now <= 20 + 8


def test_retry_after_is_honoured_and_capped() -> None:
    def throttled() -> BaseException:
        exc = RuntimeError("429 Too Many Requests")
        exc.status_code, exc.headers = 429, {"Retry-After": "7"}  # type: ignore[attr-defined]
        return exc

    time = FakeTime()
    run_with_retry(
        Flaky(throttled), backoff=NO_JITTER, classifier=Classifier(), sleep=time.sleep, clock=time.clock
    )
    assert time.sleeps == [7.0]
    capped = FakeTime()
    small_cap = Backoff(base_delay=1, max_delay=5, jitter="none", deadline=None)
    run_with_retry(
        Flaky(throttled), backoff=small_cap, classifier=Classifier(), sleep=capped.sleep, clock=capped.clock
    )
    assert capped.sleeps == [5.0]


def test_a_rules_backoff_replaces_the_retriers() -> None:
    rule = Rule(
        category="transient",
        exception=ValueError,
        backoff={"base_delay": 3, "max_delay": 100, "jitter": "none"},
    )
    time = FakeTime()
    fn = Flaky(ValueError("partition not ready"), ValueError("partition not ready"))
    run_with_retry(
        fn, backoff=NO_JITTER, classifier=Classifier(rules=[rule]), sleep=time.sleep, clock=time.clock
    )
    assert time.sleeps == [3.0, 6.0]


def test_decorrelated_delays_follow_the_previous_delay() -> None:
    time = FakeTime()
    backoff = Backoff(
        base_delay=1, max_delay=1000, jitter="decorrelated", max_attempts=12, deadline=None, seed=1
    )
    with pytest.raises(ConnectionResetError):
        run_with_retry(
            Flaky(reset, repeat=True),
            backoff=backoff,
            classifier=Classifier(),
            sleep=time.sleep,
            clock=time.clock,
        )
    assert len(time.sleeps) == 11
    for previous, current in itertools.pairwise(time.sleeps):
        assert 1.0 <= current <= max(1.0, 3 * previous) + 1e-9


def test_arguments_reach_the_function() -> None:
    time = FakeTime()
    fn = Flaky(reset(), result="done")
    assert run_with_retry(fn, 1, 2, key="v", backoff=NO_JITTER, sleep=time.sleep, clock=time.clock) == "done"
    assert fn.calls == [((1, 2), {"key": "v"}), ((1, 2), {"key": "v"})]


def test_exceptions_refusing_attributes_still_propagate() -> None:
    class Frozen(ConnectionResetError):
        def __setattr__(self, name: str, value: Any) -> None:
            raise AttributeError(name)

    time = FakeTime()
    with pytest.raises(Frozen) as info:
        run_with_retry(
            Flaky(Frozen, repeat=True),
            backoff=NO_JITTER,
            classifier=Classifier(),
            sleep=time.sleep,
            clock=time.clock,
        )
    assert not hasattr(info.value, ATTEMPTS_ATTR)
    assert len(time.sleeps) == NO_JITTER.max_attempts - 1


def test_async_acall_retries_with_the_async_sleep() -> None:
    time = FakeTime()
    retrier = InProcessRetrier(
        backoff=NO_JITTER, classifier=Classifier(), async_sleep=time.async_sleep, clock=time.clock
    )
    calls: list[int] = []

    async def fetch(page: int) -> str:
        calls.append(page)
        if len(calls) < 3:
            raise TimeoutError("read timed out")
        return f"page {page}"

    assert asyncio.run(retrier.acall(fetch, 7)) == "page 7"
    assert calls == [7, 7, 7]
    assert time.sleeps == [1.0, 2.0]

    async def bad() -> None:
        raise KeyError("id")

    with pytest.raises(KeyError) as info:
        asyncio.run(retrier.acall(bad))
    assert len(getattr(info.value, ATTEMPTS_ATTR)) == 1


def test_retry_transient_decorator_sync_and_async() -> None:
    instant = Backoff(base_delay=0, max_delay=0, max_attempts=4)  # zero delays: no real sleeping
    sync_calls: list[int] = []

    @retry_transient(backoff=instant, classifier=Classifier())
    def load(batch: int) -> str:
        """Load one batch."""
        sync_calls.append(batch)
        if len(sync_calls) < 3:
            raise ConnectionResetError(errno.ECONNRESET, "reset")
        return f"loaded {batch}"

    assert load(5) == "loaded 5"
    assert sync_calls == [5, 5, 5]
    assert load.__name__ == "load" and load.__doc__ == "Load one batch."

    async_calls: list[int] = []

    @retry_transient(backoff=instant, classifier=Classifier())
    async def aload(batch: int) -> str:
        async_calls.append(batch)
        if len(async_calls) < 4:
            raise TimeoutError("timed out")
        return f"aloaded {batch}"

    assert asyncio.iscoroutinefunction(aload)
    assert asyncio.run(aload(6)) == "aloaded 6"
    assert async_calls == [6, 6, 6, 6]

    @retry_transient(backoff=instant, classifier=Classifier())
    def always_down() -> None:
        raise ConnectionResetError(errno.ECONNRESET, "reset")

    with pytest.raises(ConnectionResetError) as info:
        always_down()
    assert len(getattr(info.value, ATTEMPTS_ATTR)) == 4
