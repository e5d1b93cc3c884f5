"""ErrorGuardRetryPolicy: decisions per category and try number, constructor validation, hooks."""

from __future__ import annotations

import errno
import logging
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pytest_mock import MockerFixture

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.compat import RetryAction, RetryDecision, RetryPolicy
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy, PolicyDecision
from tests.unit.classification.test_signals_http import requests_error

pytestmark = [pytest.mark.unit, pytest.mark.airflow33]

MAX_TRIES = 5


@pytest.fixture
def policy() -> ErrorGuardRetryPolicy:
    return ErrorGuardRetryPolicy(base_delay=2, max_delay=60, jitter="full", system_max_retries=2)


def reset() -> ConnectionResetError:
    return ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")


def test_it_is_an_airflow_retry_policy(policy: ErrorGuardRetryPolicy) -> None:
    assert isinstance(policy, RetryPolicy)
    assert policy.serialize() == {
        "__type": "ErrorGuardRetryPolicy",
        "base_delay": 2.0,
        "max_delay": 60.0,
        "jitter": "full",
        "system_max_retries": 2,
        "rules": [],
    }


@pytest.mark.parametrize("exc", [KeyError("customer_id"), PermissionError(errno.EACCES, "denied")])
def test_data_and_configuration_fail_on_every_try(exc: BaseException, policy: ErrorGuardRetryPolicy) -> None:
    verdict = policy.classifier.classify(exc)
    for try_number in range(1, MAX_TRIES + 1):
        decision = policy.evaluate(exc, try_number, MAX_TRIES)
        assert decision.action is RetryAction.FAIL
        assert decision.retry_delay is None
        assert verdict.reason in decision.reason
        assert "failing without retry, retrying cannot fix it" in decision.reason
        assert f"[errorguard: {verdict.rule}]" in decision.reason


def test_transient_retries_within_the_backoff_bounds(policy: ErrorGuardRetryPolicy) -> None:
    exc = reset()
    verdict = policy.classifier.classify(exc)
    for try_number in range(1, MAX_TRIES + 1):
        for _ in range(50):
            decision = policy.evaluate(exc, try_number, MAX_TRIES)
            assert decision.action is RetryAction.RETRY
            assert decision.retry_delay is not None
            assert 0 <= decision.retry_delay.total_seconds() <= policy.backoff.ceiling(try_number)
        assert decision.reason.startswith(verdict.reason)
        assert f"retry {try_number}/{MAX_TRIES} in" in decision.reason
    beyond = policy.evaluate(exc, MAX_TRIES + 1, MAX_TRIES)
    assert beyond.action is RetryAction.FAIL
    assert f"the {MAX_TRIES} retries allowed for this error are used up" in beyond.reason


def test_retry_after_is_honoured(policy: ErrorGuardRetryPolicy) -> None:
    exc = requests_error(429, headers={"Retry-After": "7"})
    for try_number in (1, 2, 3):
        decision = policy.evaluate(exc, try_number, MAX_TRIES)
        assert decision.action is RetryAction.RETRY
        assert decision.retry_delay is not None and decision.retry_delay >= timedelta(seconds=7)
        assert "Retry-After 7s honoured" in decision.reason
        assert "rate limiting" in decision.reason
    capped = ErrorGuardRetryPolicy(base_delay=1, max_delay=5, jitter="none")
    assert capped.evaluate(exc, 1, MAX_TRIES).retry_delay == timedelta(seconds=5)


def test_system_errors_get_system_max_retries(policy: ErrorGuardRetryPolicy) -> None:
    decisions = [policy.evaluate(MemoryError(), n, MAX_TRIES) for n in range(1, MAX_TRIES + 1)]
    assert [d.action for d in decisions] == [RetryAction.RETRY] * 2 + [RetryAction.FAIL] * 3
    assert "retry 1/2" in decisions[0].reason and "retry 2/2" in decisions[1].reason
    assert "the 2 retries allowed for this error are used up" in decisions[2].reason
    once = ErrorGuardRetryPolicy(system_max_retries=1)
    assert [once.evaluate(MemoryError(), n, MAX_TRIES).action for n in (1, 2)] == [
        RetryAction.RETRY,
        RetryAction.FAIL,
    ]
    assert (
        "the 1 retry allowed for this error is used up" in once.evaluate(MemoryError(), 2, MAX_TRIES).reason
    )
    never = ErrorGuardRetryPolicy(system_max_retries=0)
    assert never.evaluate(MemoryError(), 1, MAX_TRIES).action is RetryAction.FAIL


def test_unknown_falls_back_to_airflows_default(policy: ErrorGuardRetryPolicy) -> None:
    exc = RuntimeError("the frobnicator declined")
    verdict = policy.classifier.classify(exc)
    for try_number in range(1, MAX_TRIES + 1):
        decision = policy.evaluate(exc, try_number, MAX_TRIES)
        assert decision.action is RetryAction.DEFAULT
        assert decision.retry_delay is None
        assert decision.reason == f"{verdict.reason} [errorguard: none]"


def test_rule_backoff_and_max_retries_drive_the_decision() -> None:
    rule = Rule(
        category="transient",
        http_status=503,
        name="slow-partner",
        max_retries=2,
        backoff={"base_delay": 100, "max_delay": 100, "jitter": "none"},
    )
    policy = ErrorGuardRetryPolicy(rules=[rule], base_delay=1, max_delay=10)
    exc = requests_error(503)
    decisions = [policy.evaluate(exc, n, MAX_TRIES) for n in range(1, 4)]
    assert [d.action for d in decisions] == [RetryAction.RETRY, RetryAction.RETRY, RetryAction.FAIL]
    assert [d.retry_delay for d in decisions[:2]] == [timedelta(seconds=100)] * 2
    assert all("[errorguard: user:slow-partner]" in d.reason for d in decisions)
    # Errors the rule does not match keep the policy's own backoff.
    assert policy.evaluate(requests_error(502), 1, MAX_TRIES).retry_delay <= timedelta(seconds=10)  # type: ignore[operator]


def test_a_rule_can_make_a_transient_error_fail_or_a_data_error_retry() -> None:
    policy = ErrorGuardRetryPolicy(
        rules=[
            Rule(category="transient", action="alert", exception=TimeoutError, name="no-timeouts"),
            Rule(category="data", action="retry", exception=KeyError, name="late-key", max_retries=1),
        ]
    )
    failed = policy.evaluate(TimeoutError(), 1, MAX_TRIES)
    assert failed.action is RetryAction.FAIL and "a rule says fail" in failed.reason
    assert [policy.evaluate(KeyError("k"), n, MAX_TRIES).action for n in (1, 2)] == [
        RetryAction.RETRY,
        RetryAction.FAIL,
    ]


def test_rules_with_list_matchers_are_accepted() -> None:
    rule = Rule(category="transient", http_status=[429, "5xx"], errno=["ECONNRESET"], name="lists")
    policy = ErrorGuardRetryPolicy(rules=[rule])
    assert policy.evaluate(requests_error(500), 1, MAX_TRIES).action is RetryAction.RETRY
    assert policy.serialize()["rules"] == ["lists"]
    assert hash(rule) == hash(
        Rule(category="transient", http_status=(429, "5xx"), errno="ECONNRESET", name="lists")
    )


def test_context_scopes_rules_and_reaches_on_decision() -> None:
    records: list[PolicyDecision] = []
    rule = Rule(category="configuration", exception=TimeoutError, dag_id="strict_*", name="strict")
    policy = ErrorGuardRetryPolicy(rules=[rule], on_decision=records.append)
    ti = SimpleNamespace(dag_id="strict_dag", task_id="extract")
    context: Any = {"ti": ti}
    assert policy.evaluate(TimeoutError(), 1, MAX_TRIES, context).action is RetryAction.FAIL
    assert policy.evaluate(TimeoutError(), 1, MAX_TRIES, None).action is RetryAction.RETRY
    first, second = records
    assert (first.dag_id, first.task_id, first.try_number, first.max_tries) == (
        "strict_dag",
        "extract",
        1,
        MAX_TRIES,
    )
    assert first.classification.rule == "user:strict"
    assert first.decision.action is RetryAction.FAIL
    assert (second.dag_id, second.task_id) == (None, None)


def test_a_failing_on_decision_never_changes_the_decision(caplog: pytest.LogCaptureFixture) -> None:
    def explode(record: PolicyDecision) -> None:
        raise RuntimeError("metrics backend down")

    policy = ErrorGuardRetryPolicy(on_decision=explode)
    with caplog.at_level(logging.WARNING, logger="airflow_errorguard.retry.policy"):
        decision = policy.evaluate(KeyError("k"), 1, MAX_TRIES)
    assert decision.action is RetryAction.FAIL
    assert "on_decision callback failed" in caplog.text and "metrics backend down" in caplog.text


def test_evaluate_never_raises_even_with_a_broken_classifier(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Classifier):
        def classify(self, exc: BaseException, context: Any = None) -> Any:  # type: ignore[override]
            raise RuntimeError("classifier bug")

    policy = ErrorGuardRetryPolicy(classifier=Broken())
    with caplog.at_level(logging.WARNING, logger="airflow_errorguard.retry.policy"):
        decision = policy.evaluate(reset(), 1, MAX_TRIES)
    assert decision == RetryDecision(reason="errorguard could not decide (RuntimeError: classifier bug)")
    assert "retry policy failed" in caplog.text


def test_a_given_classifier_is_used_as_is() -> None:
    mine = Classifier(rules=[Rule(category="data", exception=TimeoutError, name="mine")])
    policy = ErrorGuardRetryPolicy(classifier=mine)
    assert policy.classifier is mine
    assert policy.evaluate(TimeoutError(), 1, MAX_TRIES).action is RetryAction.FAIL


def test_backoff_object_and_shortcuts() -> None:
    backoff = Backoff(base_delay=3, max_delay=30, jitter="none")
    policy = ErrorGuardRetryPolicy(backoff=backoff)
    assert policy.backoff is backoff
    assert [policy.evaluate(reset(), n, 9).retry_delay for n in (1, 2, 5)] == [
        timedelta(seconds=3),
        timedelta(seconds=6),
        timedelta(seconds=30),
    ]
    shortcuts = ErrorGuardRetryPolicy(base_delay=timedelta(seconds=4), max_delay=8.0, jitter="none")
    assert shortcuts.backoff.base_delay == timedelta(seconds=4)
    assert shortcuts.evaluate(reset(), 3, 9).retry_delay == timedelta(seconds=8)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        (
            {"backoff": Backoff(), "base_delay": 1},
            "either backoff= or the base_delay/max_delay/jitter shortcuts",
        ),
        ({"backoff": Backoff(), "jitter": "none"}, "either backoff="),
        ({"base_delay": 10, "max_delay": 5}, "max_delay (5.0s) must be >= base_delay (10.0s)"),
        ({"base_delay": -1}, "base_delay must be >= 0"),
        ({"base_delay": "abc"}, "ErrorGuardRetryPolicy:"),
        ({"jitter": "wobbly"}, "jitter must be one of"),
        ({"system_max_retries": -1}, "system_max_retries must be a whole number >= 0, got -1"),
        ({"system_max_retries": True}, "system_max_retries"),
        ({"rules": ["not a rule"]}, "rules must be Rule objects, got 'not a rule'"),
    ],
)
def test_constructor_validation(kwargs: dict[str, Any], text: str) -> None:
    with pytest.raises(ErrorGuardConfigError) as info:
        ErrorGuardRetryPolicy(**kwargs)
    assert text in str(info.value)


def test_invalid_rules_file_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ErrorGuardConfigError, match=r"rules file .*missing\.yaml: cannot be read"):
        ErrorGuardRetryPolicy(rules_file=str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: oops\n    category: flaky\n    exception: KeyError\n")
    with pytest.raises(ErrorGuardConfigError) as info:
        ErrorGuardRetryPolicy(rules_file=str(bad))
    assert (
        str(bad) in str(info.value)
        and "rule 'oops'" in str(info.value)
        and "field 'category'" in str(info.value)
    )


def test_rules_file_rules_come_after_explicit_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: from-file\n    category: data\n    exception: TimeoutError\n")
    from_file = ErrorGuardRetryPolicy(rules_file=str(path))
    assert from_file.evaluate(TimeoutError(), 1, MAX_TRIES).action is RetryAction.FAIL
    explicit = Rule(category="transient", exception=TimeoutError, name="explicit")
    both = ErrorGuardRetryPolicy(rules=[explicit], rules_file=str(path))
    assert both.serialize()["rules"] == ["explicit", "from-file"]
    assert both.evaluate(TimeoutError(), 1, MAX_TRIES).action is RetryAction.RETRY


def test_decisions_are_counted_through_airflows_stats(
    policy: ErrorGuardRetryPolicy, mocker: MockerFixture
) -> None:
    from airflow_errorguard.compat import Stats

    incr = mocker.patch.object(Stats, "incr")
    policy.evaluate(TimeoutError("read timed out"), try_number=1, max_tries=3)
    calls = {c.args[0]: c.kwargs["tags"] for c in incr.call_args_list}
    assert calls == {"errorguard.decision": {"decision": "retry", "category": "transient"}}, (
        "the failed try itself is counted once, by whoever records it (tests/alerts/test_metrics_statsd.py)"
    )
