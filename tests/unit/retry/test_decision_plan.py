"""DecisionPlan: its inlined jitter draw and reason text are Backoff.delay's and the documented text;
the warm path still catches a TLS failure or an unknown host a repeated class's message reveals."""

from __future__ import annotations

import errno
import random
from datetime import timedelta

import pytest

from airflow_errorguard.backoff import JITTERS, Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification, ErrorCategory
from airflow_errorguard.compat import RetryAction, RetryDecision
from airflow_errorguard.retry.decision_plan import DecisionPlan
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

pytestmark = [pytest.mark.unit, pytest.mark.airflow33]


def _verdict() -> Classification:
    return Classifier(cache_size=0).classify(
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    )


@pytest.mark.parametrize("jitter", JITTERS)
@pytest.mark.parametrize("min_delay", [None, 0, 0.5])
def test_the_plans_draw_is_backoff_delay_with_the_same_random_numbers(
    jitter: str, min_delay: float | None
) -> None:
    verdict = _verdict()
    assert verdict.category is ErrorCategory.TRANSIENT
    plan_backoff = Backoff(base_delay=1.5, max_delay=40, jitter=jitter, min_delay=min_delay, seed=7)  # type: ignore[arg-type]
    reference = Backoff(base_delay=1.5, max_delay=40, jitter=jitter, min_delay=min_delay, seed=7)  # type: ignore[arg-type]
    plan = DecisionPlan(verdict, plan_backoff, 2)
    budget = 80
    for try_number in [*range(1, 70), 1, 2, 3]:  # past the 64 precomputed draws too
        for retry_after in (None, timedelta(seconds=3)) if try_number < 5 else (None,):
            decision = plan.decide(try_number, budget, retry_after)
            delay = reference.delay(try_number, retry_after=retry_after)
            assert decision.action is RetryAction.RETRY
            assert decision.retry_delay == delay
            expected = f"{verdict.reason}; retry {try_number}/{budget} in {delay.total_seconds():.1f}s"
            if retry_after is not None:
                expected += f", Retry-After {retry_after.total_seconds():g}s honoured"
            assert decision.reason == f"{expected} [errorguard: {verdict.rule}]"
            assert decision == RetryDecision(RetryAction.RETRY, delay, decision.reason)


def test_full_jitter_is_a_real_draw_per_decision_above_its_floor() -> None:
    backoff = Backoff(base_delay=4, max_delay=60, jitter="full", min_delay=0.5, rng=random.Random(3))
    plan = DecisionPlan(_verdict(), backoff, 2)
    delays = {plan.decide(2, 5).retry_delay for _ in range(200)}
    assert len(delays) > 150  # one random number per decision, not a cached delay
    assert all(d is not None and timedelta(seconds=0.5) <= d <= timedelta(seconds=8) for d in delays)


@pytest.mark.parametrize(
    "message",
    [
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate",
        "[Errno -2] Name or service not known",
    ],
)
def test_a_repeated_class_still_reveals_a_misconfiguration_in_its_message(message: str) -> None:
    policy = ErrorGuardRetryPolicy(base_delay=1, max_delay=10, jitter="full")
    for _ in range(4):  # seen, filed under the quick key, served by it
        benign = policy.evaluate(ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), 1, 3)
        assert benign.action is RetryAction.RETRY
    assert policy.classifier.cache.quick_hits > 0
    decision = policy.evaluate(ConnectionResetError(errno.ECONNRESET, message), 1, 3)
    assert decision.action is RetryAction.FAIL
    assert policy.classifier.classify(ConnectionResetError(errno.ECONNRESET, message)).category is (
        ErrorCategory.CONFIGURATION
    )


def test_an_overridden_decide_is_given_repeated_failures_too() -> None:
    seen: list[ErrorCategory] = []

    class Custom(ErrorGuardRetryPolicy):
        def decide(self, verdict: Classification, try_number: int, max_tries: int) -> RetryDecision:
            seen.append(verdict.category)
            return RetryDecision.fail("custom")

    policy = Custom()
    for _ in range(4):
        assert policy.evaluate(ConnectionResetError(errno.ECONNRESET, "reset"), 1, 3).reason == "custom"
    assert policy.classifier.cache.hits > 0
    assert seen == [ErrorCategory.TRANSIENT] * 4
