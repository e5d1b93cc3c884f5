"""Parse-time behaviour of GuardedOperator, @task.guarded and QuarantineReplayOperator (no DB)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from airflow_errorguard.compat import HAS_NATIVE_RETRY_POLICY

pytestmark = pytest.mark.airflow

REPO = Path(__file__).resolve().parents[2]


def _dag() -> Any:
    from airflow.sdk import DAG

    return DAG("eg_parse", schedule=None, start_date=datetime(2026, 1, 1))


@pytest.mark.airflow33
def test_guarded_operator_defaults_to_the_errorguard_retry_policy() -> None:
    from airflow_errorguard import ErrorGuardRetryPolicy, GuardedOperator

    with _dag():
        op = GuardedOperator(task_id="g", records=[1], process=str)
        mine = ErrorGuardRetryPolicy(base_delay=1)
        kept = GuardedOperator(task_id="h", records=[1], process=str, retry_policy=mine)
    from airflow.sdk import DAG

    with DAG("eg_parse_defaults", schedule=None, default_args={"retry_policy": mine}):
        inherited = GuardedOperator(task_id="i", records=[1], process=str)
    assert isinstance(op.retry_policy, ErrorGuardRetryPolicy)
    assert kept.retry_policy is mine
    assert inherited.retry_policy is mine
    assert op.options.batch_size == 500 and op.options.checkpoint


@pytest.mark.airflow33
def test_the_installed_retry_policy_decides_with_the_tasks_classifier() -> None:
    from airflow.sdk import DAG

    from airflow_errorguard import (
        Classifier,
        ErrorGuardConfigError,
        ErrorGuardRetryPolicy,
        GuardedOperator,
        Rule,
    )

    mine = Classifier(rules=[Rule(name="r", category="data", exception=ValueError)])
    shared = ErrorGuardRetryPolicy(base_delay=1)
    with DAG("eg_parse_classifier", schedule=None, default_args={"retry_policy": shared}):
        inherited = GuardedOperator(task_id="i", records=[1], process=str, classifier=mine)
    with _dag():
        installed = GuardedOperator(task_id="g", records=[1], process=str, classifier=mine)
        with pytest.raises(ErrorGuardConfigError, match="k: classifier= and a retry policy"):
            GuardedOperator(
                task_id="k",
                records=[1],
                process=str,
                classifier=mine,
                retry_policy=ErrorGuardRetryPolicy(
                    rules=[Rule(name="other", category="data", exception=KeyError)]
                ),
            )
    assert installed.retry_policy.classifier is mine
    assert inherited.retry_policy.classifier is mine and inherited.retry_policy.backoff == shared.backoff
    assert shared.classifier is not mine  # the DAG's shared policy is not changed


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"max_quarantine_ratio": 2}, "max_quarantine_ratio"),
        ({"circuit": object()}, "circuit"),
        ({"process": 5}, "process must be callable"),
    ],
)
def test_guarded_operator_rejects_bad_options_at_parse_time(kwargs: dict[str, Any], message: str) -> None:
    from airflow_errorguard import ErrorGuardConfigError, GuardedOperator

    with _dag(), pytest.raises(ErrorGuardConfigError, match=message):
        GuardedOperator(task_id="g", **{"records": [1], "process": str, **kwargs})


def test_callable_source_is_not_called_as_a_template() -> None:
    from airflow_errorguard import GuardedOperator

    with _dag():
        op = GuardedOperator(task_id="g", records=lambda context, position: range(position, 3), process=str)
    context: Any = {}
    opener = op._opener(context)
    assert list(opener(1)) == [1, 2]
    assert "records from" in repr(op.records)


def test_task_guarded_is_resolved_through_the_provider_and_maps_over_records() -> None:
    code = """
import json
from datetime import datetime
from airflow.sdk import DAG, task
with DAG("x", schedule=None, start_date=datetime(2026, 1, 1)) as dag:
    @task
    def extract():
        return [1, 2]
    @task.guarded(batch_size=7)
    def clean(record):
        return record
    clean(records=extract())
    clean.expand(records=[[1], [2]])
    errors = []
    for bad in (lambda: clean(extract()), lambda: clean.expand(record=[[1]])):
        try:
            bad()
        except Exception as err:
            errors.append(type(err).__name__)
t = dag.task_dict["clean"]
print(json.dumps({"type": type(t).__name__, "batch": t.options.batch_size,
                  "upstream": sorted(t.upstream_task_ids), "mapped": type(dag.task_dict["clean__1"]).__name__,
                  "policy": type(getattr(t, "retry_policy", None)).__name__, "errors": errors}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "type": "_GuardedDecoratedOperator",
        "batch": 7,
        "upstream": ["extract"],
        "mapped": "DecoratedMappedOperator",
        "policy": "ErrorGuardRetryPolicy" if HAS_NATIVE_RETRY_POLICY else "NoneType",  # 3.3+ only
        "errors": ["ErrorGuardConfigError", "TypeError"],
    }


def test_replay_operator_validates_options() -> None:
    from airflow_errorguard import ErrorGuardConfigError, QuarantineReplayOperator

    with _dag():
        with pytest.raises(ErrorGuardConfigError, match="batch_size"):
            QuarantineReplayOperator(task_id="r", process=str, batch_size=0)
        with pytest.raises(ErrorGuardConfigError, match="max_records_per_second"):
            QuarantineReplayOperator(task_id="r2", process=str, max_records_per_second=0)


def test_guard_engine_imports_no_airflow() -> None:
    code = (
        "import json, sys\n"
        "import airflow_errorguard.guard, airflow_errorguard.guard.engine\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_sql_source_without_order_by_cannot_checkpoint() -> None:
    from airflow_errorguard import GuardedOperator
    from airflow_errorguard.exceptions import ErrorGuardConfigError
    from airflow_errorguard.sources import SqlRecords

    with _dag():
        with pytest.raises(ErrorGuardConfigError, match="g: SqlRecords needs order_by when checkpoint=True"):
            GuardedOperator(task_id="g", records=SqlRecords("src", "SELECT * FROM t"), process=str)
        unordered = GuardedOperator(
            task_id="h", records=SqlRecords("src", "SELECT * FROM t"), process=str, checkpoint=False
        )
        ordered = GuardedOperator(
            task_id="i", records=SqlRecords("src", "SELECT * FROM t", order_by="id"), process=str
        )
    assert unordered.options.checkpoint is False
    assert isinstance(ordered.records, SqlRecords)  # not wrapped: Airflow renders its template fields


def test_the_operator_refuses_a_fallback_that_is_not_callable() -> None:
    from airflow_errorguard import GuardedOperator
    from airflow_errorguard.exceptions import ErrorGuardConfigError

    with pytest.raises(ErrorGuardConfigError, match="t: fallback must be callable, got 'cache'"):
        GuardedOperator(task_id="t", records=[1], process=str, fallback="cache")  # type: ignore[arg-type]
