"""DecisionPlan: its inlined jitter draw is Backoff.delay's at 0.1 s resolution and its reason the
documented text; the warm path still catches a TLS failure or an unknown host a repeated class's
message reveals."""

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
    _, cap, floor = plan_backoff.bounds
    for try_number in [*range(1, 70), 1, 2, 3]:  # past the 64 precomputed draws too
        for retry_after in (None, timedelta(seconds=3)) if try_number < 5 else (None,):
            decision = plan.decide(try_number, budget, retry_after)
            delay = reference.delay(try_number, retry_after=retry_after)
            assert decision.action is RetryAction.RETRY
            assert decision.retry_delay is not None
            rounded = jitter != "none" and retry_after is None and try_number < 64
            if rounded:  # the same draw, to the nearest tenth, still within the cap and the floor
                seconds = decision.retry_delay.total_seconds()
                assert abs(seconds - delay.total_seconds()) <= 0.050001
                assert floor <= seconds <= cap
                assert seconds in (floor, cap) or abs(seconds * 10 - round(seconds * 10)) < 1e-6
            else:
                assert decision.retry_delay == delay
            shown = decision.retry_delay.total_seconds()
            expected = f"{verdict.reason}; retry {try_number}/{budget} in {shown:.1f}s"
            if retry_after is not None:
                expected += f", Retry-After {retry_after.total_seconds():g}s honoured"
            assert decision.reason == f"{expected} [errorguard: {verdict.rule}]"
            assert decision == RetryDecision(RetryAction.RETRY, decision.retry_delay, decision.reason)


def test_full_jitter_is_a_real_draw_per_decision_above_its_floor() -> None:
    backoff = Backoff(base_delay=4, max_delay=60, jitter="full", min_delay=0.5, rng=random.Random(3))
    plan = DecisionPlan(_verdict(), backoff, 2)
    decisions = [plan.decide(2, 5) for _ in range(400)]
    delays = {d.retry_delay for d in decisions}
    # one random number per decision, not a cached delay: nearly all 76 tenths in [0.5, 8] drawn
    assert len(delays) > 70
    assert all(d is not None and timedelta(seconds=0.5) <= d <= timedelta(seconds=8) for d in delays)
    # uniform in [0, 8], floored at 0.5: mean 4 + 0.25**2/8 (about 4.03)
    mean = sum(d.retry_delay.total_seconds() for d in decisions if d.retry_delay) / len(decisions)
    assert 3.7 < mean < 4.3
    # a repeat that draws the same tenths (0 to 80) is given the same frozen decision
    assert len({id(d) for d in decisions}) <= 81


def test_a_drawn_delay_is_rounded_to_a_tenth_within_bounds_not_between_grid_points() -> None:
    """A cap and a floor off the 0.1 s grid still bound the rounded delay."""
    backoff = Backoff(base_delay=0.33, max_delay=0.77, jitter="full", min_delay=0.33, seed=5)
    plan = DecisionPlan(_verdict(), backoff, 2)
    delays = {plan.decide(3, 5).retry_delay for _ in range(300)}
    seconds = sorted(d.total_seconds() for d in delays if d is not None)
    assert seconds[0] == 0.33 and seconds[-1] == 0.77
    assert set(seconds[1:-1]) <= {0.4, 0.5, 0.6, 0.7}


def test_no_jitter_is_not_rounded() -> None:
    backoff = Backoff(base_delay=0.333, max_delay=9, jitter="none")
    plan = DecisionPlan(_verdict(), backoff, 2)
    assert [plan.decide(n, 5).retry_delay for n in (1, 2)] == [
        timedelta(seconds=0.333),
        timedelta(seconds=0.666),
    ]


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
