"""``dags_examples/orders_guarded.py`` ends as its docstring says (dag.test(), SQLite)."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from tests.harness import AirflowEnv

#: On every Airflow 3: the DAG attaches ErrorGuardRetryPolicy through retry_policy_args() (3.3+);
#: below 3.3 the guarded task's own fail-fast and Airflow's retries give the same outcomes.
pytestmark = pytest.mark.airflow

EXAMPLE = Path(__file__).resolve().parents[2] / "dags_examples" / "orders_guarded.py"


def test_orders_guarded_example(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    sink = tmp_path / "orders.db"
    extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_db.sql_alchemy_conn, "ORDERS_SINK_DB": str(sink)}
    env = dataclasses.replace(airflow_db, env={**airflow_db.env, **extra})
    result = env.dag_test(EXAMPLE, "errorguard_orders_guarded")
    tis = result["task_instances"]
    assert result["state"] == "success"
    assert (tis["clean"]["state"], tis["clean"]["try_number"]) == ("success", 1)
    with sqlite3.connect(sink) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM orders ORDER BY id")]
    assert ids == [i for i in range(1000) if i % 50 != 0]
    # Stored by this run, or still open from an earlier run of the session and linked to this one.
    rows = env.query(
        "SELECT record_key FROM errorguard_quarantine WHERE dag_id = 'errorguard_orders_guarded' "
        "AND (run_id = :run OR last_seen_run_id = :run)",
        run=result["run_id"],
    )
    assert sorted(int(r["record_key"]) for r in rows) == list(range(0, 1000, 50))


def test_orders_guarded_example_resumes_after_a_pricing_outage(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    """The fault ``make demo`` injects: order 640 times out for all of try 1; try 2 resumes at 600."""
    sink = tmp_path / "orders.db"
    extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_db.sql_alchemy_conn, "ORDERS_SINK_DB": str(sink)}
    env = dataclasses.replace(airflow_db, env={**airflow_db.env, **extra})
    result = env.dag_test(EXAMPLE, "errorguard_orders_guarded", conf={"pricing_outage_at": 640})
    clean = result["task_instances"]["clean"]
    assert (result["state"], clean["state"], clean["try_number"]) == ("success", "success", 2)
    assert [t["state"] for t in clean["tries"]] == ["failed", "success"]  # try 1 archived as failed
    summary = env.query(
        "SELECT value FROM xcom WHERE dag_id = 'errorguard_orders_guarded' AND task_id = 'clean' "
        "AND run_id = :run AND key = 'return_value'",
        run=result["run_id"],
    )
    assert '"resumed_from": 600' in str(summary[0]["value"]), summary
    with sqlite3.connect(sink) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM orders ORDER BY id")]
    assert ids == [i for i in range(1000) if i % 50 != 0]
