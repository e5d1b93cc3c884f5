"""
One classifier per task (issue 13 §4, issue 18 §3): a rule scoped to the DAG changes what the
engine, the retry policy, ``ErrorGuardCallback`` and the failure listener decide, and each failed
try is recorded once, with the verdict the retry policy acted on. ``dag.test()`` on SQLite and
PostgreSQL, and once under a real scheduler (listener and callback in the worker, ORM blocked).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.harness import AirflowEnv, RealAirflow

DAG_FILE = Path(__file__).parent / "dags" / "eg_one_classifier.py"
RULES = """
rules:
  - name: resets-are-data-here
    category: data
    exception: ConnectionResetError
    dag_id: eg_one_classifier
    task_id: "*_only"
"""


def _env(env: AirflowEnv, out: Path) -> AirflowEnv:
    rules = out / "rules.yaml"
    rules.write_text(RULES)
    extra = {
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn,
        "EG_GUARD_OUT": str(out),
        "AIRFLOW__ERRORGUARD__RULES_FILE": str(rules),
        # Both tests share a metadata DB: notify an incident again at once instead of deduplicating.
        "AIRFLOW__ERRORGUARD__ALERT_REPEAT_INTERVAL": "0",
    }
    return dataclasses.replace(env, env={**env.env, **extra})


def _events(env: AirflowEnv, run_id: str) -> list[tuple[Any, ...]]:
    rows = env.query(
        "SELECT task_id, try_number, error_category, decision, rule FROM errorguard_error_event "
        "WHERE dag_id = 'eg_one_classifier' AND run_id = :run ORDER BY task_id, try_number",
        run=run_id,
    )
    return [tuple(r.values()) for r in rows]


def _check(env: AirflowEnv, run_id: str, tries: dict[str, tuple[str, int]], out: Path) -> None:
    # Retry policy: the rule (the task's classifier for "guarded", the rules file for the others)
    # makes the reset a data error -> failed on try 1 (retries=2 unused).
    assert tries == {
        "guarded": ("failed", 1),
        "policy_only": ("failed", 1),
        "listener_only": ("failed", 1),
    }
    # Callback, listener: one event per try, with the verdict the policy decided on (scoped rule).
    assert _events(env, run_id) == [
        ("guarded", 1, "data", "fail", "user:resets-are-data-here"),
        ("listener_only", 1, "data", "fail", "user:resets-are-data-here"),
        ("policy_only", 1, "data", "fail", "user:resets-are-data-here"),
    ]
    # Engine: the record that reset was quarantined as data, not retried in-process (stored by this
    # run, or counted on the open row an earlier run of the session stored: re-runs do not store twice).
    quarantined = env.query(
        "SELECT record_key, error_category FROM errorguard_quarantine "
        "WHERE dag_id = 'eg_one_classifier' AND (run_id = :run OR last_seen_run_id = :run)",
        run=run_id,
    )
    assert [(r["record_key"], r["error_category"]) for r in quarantined] == [("1", "data")]
    # Callback: the alert names the task's rule.
    alert = (out / "alert-guarded.txt").read_text()
    assert "data" in alert and "resets-are-data-here" in alert


@pytest.mark.airflow
@pytest.mark.airflow33
def test_one_classifier_decides_everywhere_with_dag_test(airflow_backend: AirflowEnv, tmp_path: Path) -> None:
    env = _env(airflow_backend, tmp_path)
    result = env.dag_test(DAG_FILE, "eg_one_classifier")
    tis = result["task_instances"]
    tries = {task: (ti["state"], ti["try_number"]) for task, ti in tis.items()}
    _check(env, result["run_id"], tries, tmp_path)


@pytest.mark.airflow
@pytest.mark.slow
def test_one_classifier_decides_everywhere_under_a_real_scheduler(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    env = _env(airflow_db, tmp_path)
    env.add_dag_file(DAG_FILE, DAG_FILE.name)
    with RealAirflow(env) as af:
        run_id = af.trigger("eg_one_classifier")
        assert af.wait_for_run("eg_one_classifier", run_id, timeout=300) == "failed"
        tis = af.task_instances("eg_one_classifier", run_id)
    tries = {task: (ti["state"], ti["try_number"]) for task, ti in tis.items()}
    _check(env, run_id, tries, tmp_path)
