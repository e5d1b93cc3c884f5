"""Circuit breaker on real Airflow (``dag.test()``), SQLite and PostgreSQL metadata DBs.

A dead dependency (a closed loopback port) trips the circuit in one DAG; in another DAG the
sensor holds the downstream task until the open duration has passed, then the task's call is the
half-open probe and closes the circuit. A guarded task is rescheduled (not failed) while open.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.circuit.circuit_helpers import (
    DAG_FILE,
    as_dt,
    circuit_row,
    circuit_vars,
    events,
    live_service,
    reports,
)
from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

#: Open duration: longer than a ``dag.test()`` start-up on a loaded 2-core machine (~45 s), so the
#: consumer's sensor is sure to find the circuit still open.
OPEN_S = 75


@pytest.fixture
def live_port() -> Iterator[int]:
    with live_service() as port:
        yield port


def circuit_env(env: AirflowEnv, out: Path, live: int, open_s: float = OPEN_S) -> tuple[AirflowEnv, str]:
    extra, name = circuit_vars(env, out, live, open_s)
    return dataclasses.replace(env, env={**env.env, **extra}), name


def trip(env: AirflowEnv, out: Path, name: str) -> dict[str, Any]:
    result = env.dag_test(DAG_FILE, "eg_circuit_producer")
    assert result["state"] == "success", result["task_instances"]
    last = reports(out, "producer")[-1]
    assert (last["refused"], last["rejected"]) == (3, 2)
    (opened,) = events(env, name)
    assert (opened["from_state"], opened["to_state"]) == ("closed", "open")
    assert (opened["dag_id"], opened["task_id"]) == ("eg_circuit_producer", "hammer_dead_dependency")
    assert "3 consecutive failures" in opened["reason"]
    return opened


def test_dead_dependency_trips_and_sensor_holds_downstream(
    airflow_backend: AirflowEnv, tmp_path: Path, live_port: int
) -> None:
    check_sensor_holds(airflow_backend, tmp_path, live_port, "eg_circuit_consumer")


def test_deferrable_sensor_holds_downstream(airflow_db: AirflowEnv, tmp_path: Path, live_port: int) -> None:
    """Deferrable mode (trigger run inline by ``dag.test()``; the real triggerer: test_circuit_scheduler)."""
    check_sensor_holds(airflow_db, tmp_path, live_port, "eg_circuit_consumer_deferrable")


def check_sensor_holds(airflow_env: AirflowEnv, tmp_path: Path, live_port: int, dag_id: str) -> None:
    env, name = circuit_env(airflow_env, tmp_path, live_port)
    opened = trip(env, tmp_path, name)
    row = circuit_row(env, name)
    assert (row["state"], row["total_failures"], row["total_rejected"]) == ("open", 3, 2)

    result = env.dag_test(DAG_FILE, dag_id)
    tis = result["task_instances"]
    assert result["state"] == "success", tis
    assert tis["use_api"]["state"] == "success" and tis["use_api"]["try_number"] == 1
    # The downstream task ran only after the open duration had passed (held, not failed)...
    (used,) = reports(tmp_path, "consumer")
    assert as_dt(used["at"]) >= as_dt(opened["next_probe_at"])
    # ...and the sensor really held it: it saw the circuit open first, then let a probe through.
    pokes = reports(tmp_path, "sensor")
    assert pokes[0]["state"] == "open" and pokes[0]["allowed"] is False
    assert pokes[-1]["allowed"] is True and pokes[-1]["probe"] is True
    assert pokes[-1].get("from_trigger", False) is dag_id.endswith("_deferrable")
    assert tis["wait_for_api"]["try_number"] == 1  # waiting used no retry
    # The sensor pushed the circuit state; the probe (the task's call) closed the circuit.
    xcom = env.query(
        "SELECT value FROM xcom WHERE dag_id = :dag AND run_id = :run AND task_id = 'wait_for_api' "
        "AND key = 'circuit_state'",
        dag=dag_id,
        run=result["run_id"],
    )
    state = json.loads(xcom[0]["value"]) if isinstance(xcom[0]["value"], str) else xcom[0]["value"]
    assert state["circuit"] == name and state["allowed"] is True and state["probe"] is True
    transitions = [(e["from_state"], e["to_state"], e["task_id"]) for e in events(env, name)]
    assert transitions == [
        ("closed", "open", "hammer_dead_dependency"),
        ("open", "half_open", "use_api"),
        ("half_open", "closed", "use_api"),
    ]
    assert circuit_row(env, name)["state"] == "closed"


def test_guarded_task_is_rescheduled_not_failed_while_open(
    airflow_backend: AirflowEnv, tmp_path: Path, live_port: int
) -> None:
    env, name = circuit_env(airflow_backend, tmp_path, live_port)
    opened = trip(env, tmp_path, name)
    result = env.dag_test(DAG_FILE, "eg_circuit_guarded")
    ti = result["task_instances"]["guarded_load"]
    assert result["state"] == "success", ti
    assert ti["try_number"] == 1  # no retry consumed
    assert [t["state"] for t in ti["tries"]] == ["success"]
    # The first try was rejected by the open circuit (counted) and rescheduled to the probe time.
    assert circuit_row(env, name)["total_rejected"] == 3
    first_batch = reports(tmp_path, "guarded")[0]
    assert as_dt(first_batch["at"]) >= as_dt(opened["next_probe_at"])
    assert sum(r["outputs"] for r in reports(tmp_path, "guarded")) == 10
    # The rescheduled run was the probe: its success closed the circuit.
    assert [(e["from_state"], e["to_state"]) for e in events(env, name)][-2:] == [
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


def test_sensor_soft_fails_on_timeout(airflow_backend: AirflowEnv, tmp_path: Path, live_port: int) -> None:
    env, name = circuit_env(airflow_backend, tmp_path, live_port, open_s=600)
    trip(env, tmp_path, name)
    result = env.dag_test(DAG_FILE, "eg_circuit_sensor_timeout")
    assert result["task_instances"]["wait_soft"]["state"] == "skipped"
