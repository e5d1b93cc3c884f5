"""
An incident grouped by fingerprint only, fed by failures in two DAGs (issue 13 §5), resolves once
BOTH tasks have succeeded, with exactly one resolve notice. ``dag.test()`` on SQLite and
PostgreSQL; the notifier appends every notice to a file.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest

from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

DAGS = textwrap.dedent(
    '''
    """Two DAGs failing with the same error (tests/alerts/test_alert_cross_dag.py)."""
    import json
    import os
    from datetime import datetime
    from pathlib import Path

    from airflow.sdk import DAG, get_current_context, task

    from airflow_errorguard.alerts import AlertConfig, ErrorGuardCallback


    def to_file(context):
        alert = context["errorguard_alert"]
        with Path(os.environ["EG_NOTICES"]).open("a") as out:
            out.write(json.dumps({{"kind": alert["kind"], "dag_id": alert["dag_id"]}}) + "\\n")


    alerts = ErrorGuardCallback(notifiers=[to_file], config=AlertConfig(group_by=("fingerprint",)))


    @task
    def read_ledger():
        if get_current_context()["dag_run"].conf.get("fail"):
            raise PermissionError("permission denied for relation ledger")


    for dag_id in ("eg_xdag_orders{suffix}", "eg_xdag_billing{suffix}"):
        with DAG(dag_id, default_args={{**alerts.default_args(), "retries": 0}}, schedule=None,
                 start_date=datetime(2024, 1, 1), catchup=False):
            read_ledger()
    '''
)


def test_an_incident_seen_in_two_dags_resolves_once_both_succeed(
    airflow_backend: AirflowEnv, tmp_path: Path
) -> None:
    suffix = f"_{airflow_backend.backend}"
    notices = tmp_path / "notices.jsonl"
    env = dataclasses.replace(
        airflow_backend,
        env={
            **airflow_backend.env,
            "AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_backend.sql_alchemy_conn,
            "EG_NOTICES": str(notices),
        },
    )
    dag_file = env.add_dag_file(DAGS.format(suffix=suffix), f"eg_xdag{suffix}.py")
    orders, billing = f"eg_xdag_orders{suffix}", f"eg_xdag_billing{suffix}"

    def run(dag_id: str, *, fail: bool) -> str:
        result = env.dag_test(dag_file, dag_id, conf={"fail": fail})
        assert result["state"] == ("failed" if fail else "success"), result
        return result["run_id"]

    def incident() -> dict[str, object]:
        rows = env.query(
            "SELECT i.status, i.dag_id, i.occurrences, count(t.task_id) AS tasks FROM errorguard_incident i "
            "JOIN errorguard_incident_task t ON t.incident_id = i.id "
            "WHERE t.dag_id IN (:a, :b) GROUP BY i.status, i.dag_id, i.occurrences",
            a=orders,
            b=billing,
        )
        assert len(rows) == 1, rows
        return rows[0]

    run(orders, fail=True)
    run(billing, fail=True)  # the same incident: its alert is suppressed as a duplicate
    assert incident() == {"status": "open", "dag_id": billing, "occurrences": 2, "tasks": 2}
    run(orders, fail=False)  # fixed in one DAG only: still open, no notice
    assert incident()["status"] == "open"
    run(billing, fail=False)  # fixed everywhere: resolved, one notice
    assert incident()["status"] == "resolved"
    kinds = [json.loads(line) for line in notices.read_text().splitlines()]
    assert kinds == [{"kind": "alert", "dag_id": orders}, {"kind": "resolved", "dag_id": billing}]
