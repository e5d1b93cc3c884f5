"""
In-process retrying of transient failures, built on tenacity's retry engine.

Only exceptions that classify as ``retry`` are retried; data, configuration and system errors
propagate at once. Attempts stop at ``Backoff.max_attempts`` or when the next wait would cross
``Backoff.deadline``. The exception that finally propagates is the original one, with the attempt
history attached as ``exc.errorguard_attempts`` (and a note on Python 3.11+). Each attempt is
classified on its own exception: earlier attempts found in its chain (``__context__``, when it
was raised while handling one) are ignored.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import tenacity

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.defaults import get_default_classifier
from airflow_errorguard.classification.model import Classification, ErrorAction
from airflow_errorguard.classification.safe_read import safe_str

T = TypeVar("T")
ATTEMPTS_ATTR = "errorguard_attempts"


@dataclass(frozen=True)
class Attempt:
    """One failed attempt: its number, what it raised, how it classified, how long we waited after."""

    number: int
    exception_type: str
    message: str
    classification: Classification
    delay: timedelta | None
    """Wait before the next attempt; ``None`` when this attempt was the last."""


class InProcessRetrier:
    """
    Retries a callable in-process according to a :class:`Backoff` and a classifier.

    :param backoff: Delays, attempt count and deadline (default ``Backoff()``).
    :param classifier: Classifier to use (default: the process default, with user rules).
    :param sleep: Blocking sleep ``(seconds) -> None``; inject a fake in tests.
    :param async_sleep: Async sleep for coroutine functions.
    :param clock: Monotonic clock in seconds, for the deadline.
    :param scope: The task's context (or ``{"dag_id", "task_id"}``) for rules scoped to a DAG or task.
    """

    def __init__(
        self,
        backoff: Backoff | None = None,
        classifier: Classifier | None = None,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        *,
        scope: Mapping[str, Any] | None = None,
    ) -> None:
        self.backoff = backoff or Backoff()
        self.classifier = classifier
        self.scope = scope
        self.sleep = sleep
        self.async_sleep = async_sleep
        self.clock = clock

    # -- public ---------------------------------------------------------------------------

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn(*args, **kwargs)``, retrying transient failures; return its result."""
        return self.call_with_history(fn, *args, **kwargs)[0]

    def call_with_history(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, list[Attempt]]:
        """Like :meth:`call`, also returning the failed attempts that preceded success."""
        state = _RunState(self)
        retrying = tenacity.Retrying(sleep=self.sleep, **state.tenacity_kwargs())
        try:
            return retrying(fn, *args, **kwargs), state.attempts
        except BaseException as exc:
            raise state.attach(exc)  # noqa: B904 - re-raising the original exception, history attached

    async def acall(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Async variant of :meth:`call` for coroutine functions."""
        state = _RunState(self)
        retrying = tenacity.AsyncRetrying(sleep=self.async_sleep, **state.tenacity_kwargs())
        try:
            return await retrying(fn, *args, **kwargs)
        except BaseException as exc:
            raise state.attach(exc)  # noqa: B904 - re-raising the original exception, history attached


class _RunState:
    """Per-call bookkeeping shared by tenacity's callbacks: classifications and attempt history."""

    def __init__(self, retrier: InProcessRetrier) -> None:
        self.retrier = retrier
        self.classifier = retrier.classifier or get_default_classifier()
        self.start = retrier.clock()
        self.attempts: list[Attempt] = []
        self._failures: list[BaseException] = []
        self._last: tuple[BaseException, Classification] | None = None

    def tenacity_kwargs(self) -> dict[str, Any]:
        backoff = self.retrier.backoff
        return {
            "retry": tenacity.retry_if_exception(self._should_retry),
            "wait": self._wait,
            "stop": tenacity.stop_after_attempt(backoff.max_attempts) | _PastDeadline(self),
            "before_sleep": self._record_sleep,
            "reraise": True,
        }

    def _verdict(self, exc: BaseException) -> Classification:
        # tenacity asks about the latest failure only; holding it keeps ids from being reused.
        if self._last is not None and self._last[0] is exc:
            return self._last[1]
        # Each attempt is judged on its own error: one raised while an earlier attempt's error was
        # being handled carries it as ``__context__``, which must not decide (a data error on the
        # retry of a reset connection is a data error).
        verdict = self.classifier.classify(exc, self.retrier.scope, ignore=self._failures)
        self._failures.append(exc)
        self._last = (exc, verdict)
        self.attempts.append(
            Attempt(len(self.attempts) + 1, type(exc).__name__, safe_str(exc)[:500], verdict, None)
        )
        return verdict

    def _should_retry(self, exc: BaseException) -> bool:
        return self._verdict(exc).action is ErrorAction.RETRY

    def _backoff_for(self, verdict: Classification) -> Backoff:
        return verdict.backoff if isinstance(verdict.backoff, Backoff) else self.retrier.backoff

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if exc is None:  # pragma: no cover - tenacity waits only after a failure here
            return 0.0
        verdict = self._verdict(exc)
        previous = self.attempts[-2].delay if len(self.attempts) > 1 else None
        delay = self._backoff_for(verdict).delay(
            retry_state.attempt_number, retry_after=verdict.retry_after, previous=previous
        )
        return delay.total_seconds()

    def _record_sleep(self, retry_state: tenacity.RetryCallState) -> None:
        last = self.attempts[-1]
        self.attempts[-1] = Attempt(
            last.number,
            last.exception_type,
            last.message,
            last.classification,
            timedelta(seconds=retry_state.upcoming_sleep),
        )

    def attach(self, exc: BaseException) -> BaseException:
        """Attach the attempt history to the exception that propagates, and return it."""
        try:
            setattr(exc, ATTEMPTS_ATTR, tuple(self.attempts))
            if self.attempts and hasattr(exc, "add_note"):
                summary = ", ".join(
                    f"#{a.number} {a.classification.category}"
                    + (f" then waited {a.delay.total_seconds():.2f}s" if a.delay is not None else "")
                    for a in self.attempts
                )
                exc.add_note(f"errorguard: {len(self.attempts)} attempt(s) in-process: {summary}")
        except Exception:  # an exception type with __slots__ or a frozen __setattr__
            pass
        return exc


class _PastDeadline(tenacity.stop.stop_base):
    """Stop when the next wait would end beyond the deadline (tenacity 9 runs wait before stop)."""

    def __init__(self, state: _RunState) -> None:
        self.state = state

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        retrier = self.state.retrier
        deadline = retrier.backoff.deadline
        if deadline is None:
            return False
        elapsed = retrier.clock() - self.state.start
        return elapsed + (retry_state.upcoming_sleep or 0.0) > deadline.total_seconds()


def run_with_retry(
    fn: Callable[..., T],
    *args: Any,
    backoff: Backoff | None = None,
    classifier: Classifier | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    **kwargs: Any,
) -> T:
    """
    Call ``fn(*args, **kwargs)``, retrying in-process what classifies as transient.

    ``backoff``, ``classifier``, ``sleep`` and ``clock`` are consumed here; every other keyword
    goes to *fn*. On final failure the original exception propagates with
    ``exc.errorguard_attempts`` holding the :class:`Attempt` history.
    """
    retrier = InProcessRetrier(backoff=backoff, classifier=classifier, sleep=sleep, clock=clock)
    return retrier.call(fn, *args, **kwargs)


def retry_transient(
    backoff: Backoff | None = None, classifier: Classifier | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator form of :func:`run_with_retry`; works on plain and ``async`` functions."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        retrier = InProcessRetrier(backoff=backoff, classifier=classifier)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                return await retrier.acall(fn, *args, **kwargs)

            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return retrier.call(fn, *args, **kwargs)

        return wrapper

    return decorate
