"""One classifier per task: which classifier a task names, and the verdict its policy acted on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.classification.task_scope import (
    classify_for_task,
    forget_all,
    remember_verdict,
    task_classifier,
    verdict_for_try,
)
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

pytestmark = pytest.mark.unit

SCOPED = Rule(
    name="resets-are-data", category="data", exception=ConnectionResetError, dag_id="etl", task_id="load"
)


def _ti(task: object = None, try_number: int = 1, task_id: str = "load") -> SimpleNamespace:
    return SimpleNamespace(
        dag_id="etl", task_id=task_id, run_id="r1", map_index=-1, try_number=try_number, task=task
    )


@pytest.fixture(autouse=True)
def _fresh() -> None:
    forget_all()


@pytest.mark.airflow33
def test_the_task_classifier_is_its_own_else_its_policys() -> None:
    own, policy_one = Classifier(rules=[SCOPED]), Classifier()
    policy = ErrorGuardRetryPolicy(classifier=policy_one)
    assert task_classifier(SimpleNamespace(classifier=own, retry_policy=policy)) is own
    assert task_classifier(SimpleNamespace(classifier=None, retry_policy=policy)) is policy_one
    assert task_classifier(SimpleNamespace(retry_policy=None)) is None
    assert task_classifier(None) is None


def test_classify_for_task_uses_the_tasks_classifier_in_the_tasks_scope() -> None:
    ti = _ti(SimpleNamespace(classifier=Classifier(rules=[SCOPED])))
    verdict = classify_for_task(ti, ConnectionResetError("reset"), None, Classifier)
    assert (verdict.category.value, verdict.rule) == ("data", "user:resets-are-data")
    other_task = _ti(SimpleNamespace(classifier=Classifier(rules=[SCOPED])), task_id="extract")
    assert classify_for_task(other_task, ConnectionResetError("reset"), None, Classifier).category.value == (
        "transient"
    )
    # No classifier on the task: the fallback, still in the task's scope.
    plain = classify_for_task(
        _ti(SimpleNamespace()), ConnectionResetError("reset"), None, lambda: Classifier([SCOPED])
    )
    assert plain.category.value == "data"


@pytest.mark.airflow33
def test_the_verdict_a_policy_acted_on_is_what_recorders_get() -> None:
    policy = ErrorGuardRetryPolicy(classifier=Classifier(rules=[SCOPED]))
    ti = _ti()
    error = ConnectionResetError("reset")
    decision = policy.evaluate(error, 1, 3, {"ti": ti})
    assert decision.action.value == "fail"
    remembered = verdict_for_try(ti, error)
    assert remembered is not None and remembered.rule == "user:resets-are-data"
    # A recorder with another classifier still records what was decided...
    assert classify_for_task(ti, error, None, Classifier).rule == "user:resets-are-data"
    # ...but only for that exception and that try.
    assert verdict_for_try(ti, ConnectionResetError("reset")) is None
    assert verdict_for_try(_ti(try_number=2), error) is None


def test_remembered_verdicts_are_bounded() -> None:
    from airflow_errorguard.classification import task_scope

    verdict = Classifier().classify(ValueError("x"))
    errors = [ValueError(i) for i in range(task_scope.MAX_REMEMBERED + 5)]
    for number, error in enumerate(errors, start=1):
        remember_verdict(_ti(try_number=number), error, verdict)
    assert len(task_scope._remembered) == task_scope.MAX_REMEMBERED
    assert verdict_for_try(_ti(try_number=1), errors[0]) is None
    assert verdict_for_try(_ti(try_number=len(errors)), errors[-1]) is verdict


@pytest.mark.airflow33
def test_a_policy_binds_to_the_tasks_classifier_unless_it_chose_its_own() -> None:
    task_one = Classifier(rules=[SCOPED])
    default_policy = ErrorGuardRetryPolicy()
    bound = default_policy.with_classifier(task_one, "load")
    assert bound.classifier is task_one and bound is not default_policy
    assert default_policy.classifier is not task_one  # shared default_args policy untouched
    chosen = ErrorGuardRetryPolicy(rules=[SCOPED])
    with pytest.raises(ErrorGuardConfigError, match="load: classifier= and a retry policy"):
        chosen.with_classifier(task_one, "load")
    same = ErrorGuardRetryPolicy(classifier=task_one)
    assert same.with_classifier(task_one, "load") is same
