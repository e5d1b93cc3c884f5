"""Every example DAG imports cleanly and ends, under real Airflow, in the state its docstring documents."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from airflow_errorguard.compat import AIRFLOW_V_3_2_PLUS, HAS_NATIVE_RETRY_POLICY
from tests.harness import AirflowEnv

EXAMPLES = Path(__file__).resolve().parents[2] / "dags_examples"
DAGBAG_MODULE = "airflow.dag_processing.dagbag" if AIRFLOW_V_3_2_PLUS else "airflow.models.dagbag"


@pytest.mark.airflow
def test_examples_import_without_errors(airflow_db: AirflowEnv) -> None:
    code = (
        "import json, sys\n"
        f"from {DAGBAG_MODULE} import DagBag\n"
        f"bag = DagBag(dag_folder={str(EXAMPLES)!r})\n"
        "print(json.dumps({'errors': bag.import_errors, 'dags': sorted(bag.dag_ids)}))\n"
    )
    done = airflow_db.run([sys.executable, "-c", code], timeout=300)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == {}
    assert {"errorguard_decisions", "errorguard_zero_rewrite"} <= set(result["dags"])


#: Below Airflow 3.3 the examples' retry_policy_args() attaches no policy: the tasks retry as
#: Airflow says, with this retry_delay (Airflow's default, 300 s, would make the run wait).
BELOW_33_ENV = {"AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": "1"}


@pytest.mark.airflow
def test_zero_rewrite_example(airflow_db: AirflowEnv) -> None:
    extra = {} if HAS_NATIVE_RETRY_POLICY else BELOW_33_ENV
    result = airflow_db.dag_test(
        EXAMPLES / "zero_rewrite_adoption.py", "errorguard_zero_rewrite", extra_env=extra
    )
    tis = result["task_instances"]
    assert result["state"] == "failed"
    assert (tis["extract"]["state"], tis["extract"]["try_number"]) == ("success", 2)
    assert (tis["transform"]["state"], tis["transform"]["try_number"]) == ("success", 1)
    assert tis["validate"]["max_tries"] == 4
    if HAS_NATIVE_RETRY_POLICY:
        assert "TimeoutError is a timeout; transient" in tis["extract"]["tries"][0]["retry_reason"]
        # ValueError from a data check: failed on try 1 although retries=4.
        assert (tis["validate"]["state"], tis["validate"]["try_number"]) == ("failed", 1)
    else:
        # Airflow 3.1/3.2: no native retry_policy, so the data error burns every retry (documented
        # in docs/compatibility.md); what errorguard adds there is @task.guarded's fail-fast.
        assert (tis["validate"]["state"], tis["validate"]["try_number"]) == ("failed", 5)


@pytest.mark.airflow
def test_decisions_example(airflow_db: AirflowEnv) -> None:
    """The demo DAG: documented outcomes, and every decision stored through ErrorGuardHook."""
    extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_db.sql_alchemy_conn}
    if not HAS_NATIVE_RETRY_POLICY:
        extra.update(BELOW_33_ENV)
    result = airflow_db.dag_test(
        EXAMPLES / "errorguard_decisions.py", "errorguard_decisions", extra_env=extra
    )
    states = {task: (ti["state"], ti["try_number"]) for task, ti in result["task_instances"].items()}
    assert result["state"] == "failed"
    if not HAS_NATIVE_RETRY_POLICY:
        # Airflow 3.1/3.2: the DAG parses (retry_policy_args() attaches no policy there) and every
        # task retries as Airflow's retries=3 says. errorguard's failure listener still classifies
        # and stores every failed try (no retry decision is made, so no on_decision record).
        assert states == {
            "parse_orders": ("failed", 4),
            "fetch_rates": ("success", 3),
            "call_partner_api": ("success", 2),
            "load_warehouse": ("failed", 4),
            "read_credentials": ("failed", 4),
            "aggregate": ("failed", 4),
            "mystery_step": ("failed", 4),
        }
        events = airflow_db.query(
            "SELECT task_id, error_category FROM errorguard_error_event WHERE run_id = :r", r=result["run_id"]
        )
        assert len(events) == 4 + 2 + 1 + 4 + 4 + 4 + 4  # one per failed try
        assert {(e["task_id"], e["error_category"]) for e in events} == {
            ("parse_orders", "data"),
            ("fetch_rates", "transient"),
            ("call_partner_api", "transient"),
            ("load_warehouse", "configuration"),
            ("read_credentials", "configuration"),
            ("aggregate", "system"),
            ("mystery_step", "unknown"),
        }
        return
    assert states == {
        "parse_orders": ("failed", 1),
        "fetch_rates": ("success", 3),
        "call_partner_api": ("success", 2),
        "load_warehouse": ("failed", 1),
        "read_credentials": ("failed", 1),
        "aggregate": ("failed", 2),
        "mystery_step": ("failed", 4),
    }
    first_call = result["task_instances"]["call_partner_api"]["tries"][0]
    assert first_call["retry_delay_override"] >= 2.0

    events = airflow_db.query(
        "SELECT task_id, try_number, error_category, decision FROM errorguard_error_event "
        "WHERE dag_id = :dag_id AND run_id = :run_id ORDER BY task_id, try_number",
        dag_id="errorguard_decisions",
        run_id=result["run_id"],
    )
    assert [(e["task_id"], e["try_number"], e["error_category"], e["decision"]) for e in events] == [
        ("aggregate", 1, "system", "retry"),
        ("aggregate", 2, "system", "fail"),
        ("call_partner_api", 1, "transient", "retry"),
        ("fetch_rates", 1, "transient", "retry"),
        ("fetch_rates", 2, "transient", "retry"),
        ("load_warehouse", 1, "configuration", "fail"),
        ("mystery_step", 1, "unknown", "default"),
        ("mystery_step", 2, "unknown", "default"),
        ("mystery_step", 3, "unknown", "default"),
        ("mystery_step", 4, "unknown", "default"),
        ("parse_orders", 1, "data", "fail"),
        ("read_credentials", 1, "configuration", "fail"),
    ]


@pytest.mark.airflow
def test_shared_circuit_examples(airflow_db: AirflowEnv) -> None:
    """The CRM is down: the producer's calls trip ``crm_api``; the consumer's sensor holds, then skips."""
    extra = {
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_db.sql_alchemy_conn,
        "CRM_OPEN_SECONDS": "600",
        "CRM_SENSOR_TIMEOUT": "3",
    }
    produced = airflow_db.dag_test(
        EXAMPLES / "shared_circuit_producer.py", "shared_circuit_producer", extra_env=extra
    )
    assert produced["state"] == "failed"
    assert {ti["state"] for ti in produced["task_instances"].values()} == {"failed"}
    (circuit,) = airflow_db.query(
        "SELECT state, total_failures, trip_count FROM errorguard_circuit WHERE name = 'crm_api'"
    )
    assert (circuit["state"], circuit["total_failures"], circuit["trip_count"]) == ("open", 3, 1)

    consumed = airflow_db.dag_test(
        EXAMPLES / "shared_circuit_consumer.py", "shared_circuit_consumer", extra_env=extra
    )
    states = {task: ti["state"] for task, ti in consumed["task_instances"].items()}
    assert states == {"wait_for_crm": "skipped", "refresh_segments": "skipped", "export_report": "skipped"}
    # The held tasks never called the CRM: no call was added to the circuit.
    (after,) = airflow_db.query("SELECT total_calls FROM errorguard_circuit WHERE name = 'crm_api'")
    assert after["total_calls"] == 3
