"""
The same circuit is re-entrant within one task (issue 13 §6): in half-open, the task's outer guard
(``GuardedOperator(circuit=X)``'s check, an outer ``circuit_guard(X)``) takes the only probe slot
and an inner ``circuit_guard(X)`` of the same task joins it instead of being rejected; another
task is still rejected. Real SQL circuit storage (SQLite, PostgreSQL, MariaDB), and ``dag.test()``.
"""

from __future__ import annotations

import dataclasses
import secrets
import textwrap
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_errorguard.breaker import Circuit, CircuitState
from airflow_errorguard.circuits import probes
from airflow_errorguard.circuits.outcomes import RunCircuitCheck, circuit_guard
from airflow_errorguard.circuits.registry import get_circuit_breaker
from airflow_errorguard.exceptions import CircuitOpenError
from airflow_errorguard.storage.engine import dispose_engines
from tests.harness import AirflowEnv
from tests.storage.helpers import empty_tables

pytestmark = pytest.mark.airflow


def _circuit() -> Circuit:
    return Circuit(
        f"eg_reentrant_{secrets.token_hex(4)}", failure_rate=None, consecutive_failures=1, open_duration=1
    )


def _task(task_id: str = "push") -> dict[str, Any]:
    return {"ti": SimpleNamespace(dag_id="sync", task_id=task_id, run_id="r1", map_index=-1)}


def _half_open(circuit: Circuit) -> None:
    """Trip *circuit* and wait until its probe is due."""
    breaker = get_circuit_breaker(circuit)
    breaker.record_failure("transient")
    snap = breaker.state()
    assert snap.state is CircuitState.OPEN and snap.next_probe_at is not None
    time.sleep(max(0.0, (snap.next_probe_at - breaker.clock()).total_seconds()) + 0.05)


@pytest.fixture
def sql_conn(storage_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    empty_tables(storage_url)
    monkeypatch.setenv("AIRFLOW_CONN_ERRORGUARD_DEFAULT", storage_url)
    yield storage_url
    dispose_engines()


def test_an_inner_guard_joins_the_operators_probe(sql_conn: str) -> None:
    circuit = _circuit()
    _half_open(circuit)
    check = RunCircuitCheck(get_circuit_breaker(circuit, context=_task()), "fail")
    check()  # the operator's first batch takes the only probe slot
    assert check.probe
    ran = []
    with circuit_guard(circuit, context=_task()):  # same task: joins the probe
        ran.append("inner")
    with pytest.raises(CircuitOpenError), circuit_guard(circuit, context=_task("other")):
        ran.append("other task")  # another task is still rejected: the slot is taken
    assert ran == ["inner"]
    assert get_circuit_breaker(circuit).state().state is CircuitState.HALF_OPEN  # the inner recorded nothing
    check.on_finish(None)  # the probe's outcome is the run's
    assert get_circuit_breaker(circuit).state().state is CircuitState.CLOSED
    assert not probes.held(get_circuit_breaker(circuit, context=_task()))


def test_nested_guards_share_the_probe_and_its_failure(sql_conn: str) -> None:
    circuit = _circuit()
    _half_open(circuit)
    outer, inner = circuit_guard(circuit, context=_task()), circuit_guard(circuit, context=_task())
    with pytest.raises(ConnectionRefusedError), outer, inner:
        raise ConnectionRefusedError(111, "Connection refused")
    snap = get_circuit_breaker(circuit).state()
    assert snap.state is CircuitState.OPEN  # the failed probe re-opened it, recorded once
    assert snap.total_failures == 2  # the trip and the probe
    assert not probes.held(get_circuit_breaker(circuit, context=_task()))


DAG = textwrap.dedent(
    '''
    """A guarded task guarding its calls with the same circuit (test_circuit_reentrant.py)."""
    import os
    from datetime import datetime

    from airflow.sdk import DAG, task

    from airflow_errorguard import Circuit, circuit_guard

    CIRCUIT = Circuit(os.environ["EG_CIRCUIT"], failure_rate=None, consecutive_failures=1, open_duration=1)

    with DAG("eg_reentrant{suffix}", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):

        @task.guarded(circuit=CIRCUIT, on_circuit_open="fail", retries=0)
        def push(record):
            with circuit_guard(CIRCUIT):
                return record * 2

        push(records=[1, 2, 3])
    '''
)


def test_task_guarded_with_an_inner_guard_completes_its_probe_with_dag_test(
    airflow_backend: AirflowEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    circuit = _circuit()
    suffix = f"_{airflow_backend.backend}"
    extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_backend.sql_alchemy_conn, "EG_CIRCUIT": circuit.name}
    env = dataclasses.replace(airflow_backend, env={**airflow_backend.env, **extra})
    monkeypatch.setenv("AIRFLOW_CONN_ERRORGUARD_DEFAULT", airflow_backend.sql_alchemy_conn)
    try:
        _half_open(circuit)
        dag_file = env.add_dag_file(DAG.format(suffix=suffix), f"eg_reentrant{suffix}.py")
        result = env.dag_test(dag_file, f"eg_reentrant{suffix}")
        ti = result["task_instances"]["push"]
        assert (result["state"], ti["state"], ti["try_number"]) == ("success", "success", 1)
        assert get_circuit_breaker(circuit).state().state is CircuitState.CLOSED  # the probe succeeded
    finally:
        dispose_engines()
