"""Airflow-side pieces without a scheduler: trigger, sensor/operator validation, circuit_guard,
callbacks, retry policy, rules-file circuits and the storage-failure setting.

Storage: a migrated SQLite file reached through ``AIRFLOW_CONN_ERRORGUARD_DEFAULT``, like a worker.
"""

from __future__ import annotations

import asyncio
import errno
import importlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_errorguard.breaker import Circuit, CircuitState
from airflow_errorguard.circuits.outcomes import CircuitOutcomeCallback, circuit_guard
from airflow_errorguard.circuits.registry import get_circuit_breaker, resolve
from airflow_errorguard.compat import AirflowRescheduleException, RetryAction
from airflow_errorguard.exceptions import CircuitOpenError, ErrorGuardConfigError
from airflow_errorguard.sensors.circuit_breaker import CircuitBreakerSensor
from airflow_errorguard.storage.engine import dispose_engines
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.triggers.circuit_breaker import CircuitBreakerTrigger

pytestmark = pytest.mark.airflow

TRIP_FAST = Circuit(
    "crm_api", failure_rate=None, consecutive_failures=2, open_duration=600, max_open_duration=600
)


@pytest.fixture
def conn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    upgrade(url)
    monkeypatch.setenv("AIRFLOW_CONN_ERRORGUARD_DEFAULT", url)
    yield url
    dispose_engines()


def refused() -> ConnectionRefusedError:
    return ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")


def trip(circuit: Circuit = TRIP_FAST) -> None:
    breaker = get_circuit_breaker(circuit)
    for _ in range(circuit.consecutive_failures or 1):
        breaker.record_failure("transient")
    assert breaker.state().state is CircuitState.OPEN


# -- circuit_guard and callbacks ------------------------------------------------------------------


def test_circuit_guard_records_classified_outcomes_and_rejects(conn: str) -> None:
    calls = []

    @circuit_guard(TRIP_FAST)
    def call(exc: Exception | None) -> str:
        calls.append(exc)
        if exc is not None:
            raise exc
        return "ok"

    assert call(None) == "ok"
    with pytest.raises(ValueError):
        call(ValueError("bad row"))  # data: does not count
    with pytest.raises(ConnectionRefusedError):
        call(refused())
    snap = get_circuit_breaker(TRIP_FAST).state()
    assert (snap.state, snap.consecutive_failures, snap.total_calls, snap.total_failures) == (
        CircuitState.CLOSED,
        1,
        3,
        1,
    )
    with pytest.raises(ConnectionRefusedError):
        call(refused())
    with pytest.raises(CircuitOpenError) as info:
        call(None)
    assert len(calls) == 4  # the rejected call never ran
    assert info.value.next_probe_at == get_circuit_breaker(TRIP_FAST).state().next_probe_at
    with pytest.raises(AirflowRescheduleException) as resched, circuit_guard(TRIP_FAST, on_open="reschedule"):
        pytest.fail("must not run while open")
    assert resched.value.reschedule_date == info.value.next_probe_at


def test_circuit_guard_fail_open_keeps_the_task_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ERRORGUARD_DEFAULT", f"sqlite:///{tmp_path}/missing/dir/eg.db")
    with pytest.raises(KeyError, match="task's own"), circuit_guard("crm_api"):
        raise KeyError("task's own")
    assert "FAIL-OPEN" in caplog.text


def test_fail_closed_rejects_when_storage_is_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ERRORGUARD_DEFAULT", f"sqlite:///{tmp_path}/missing/dir/eg.db")
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__CIRCUIT_STORAGE_FAILURE", "closed")
    with pytest.raises(CircuitOpenError) as info, circuit_guard("crm_api"):
        pytest.fail("must not run")
    assert info.value.state == "storage_unavailable"
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__CIRCUIT_STORAGE_FAILURE", "sometimes")
    with pytest.raises(ErrorGuardConfigError, match="circuit_storage_failure"):
        get_circuit_breaker("crm_api")


def test_outcome_callback_for_existing_operators(conn: str) -> None:
    callback = CircuitOutcomeCallback(TRIP_FAST)
    ti = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1)
    callback({"ti": ti, "exception": refused()})
    callback({"ti": ti, "exception": refused()})
    breaker = get_circuit_breaker(TRIP_FAST)
    assert breaker.state().state is CircuitState.OPEN
    (event,) = breaker.storage.events("crm_api")
    assert (event.dag_id, event.task_id, event.actor) == ("d", "t", "d.t")
    breaker.force_close(actor="ops")
    callback({"ti": ti})  # success callback: no exception in the context
    assert breaker.state().total_calls == 3


def test_circuit_outcomes_are_classified_with_the_tasks_classifier(conn: str) -> None:
    from airflow_errorguard.classification.classifier import Classifier
    from airflow_errorguard.classification.rules import Rule

    # The task's rule makes its vendor's "quota" ValueError transient: it counts for the circuit.
    quota = Rule(name="quota", category="transient", exception=ValueError, message="quota", dag_id="d")
    task = SimpleNamespace(classifier=Classifier(rules=[quota]))
    context: Any = {"ti": SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1), "task": task}
    for _ in range(2):
        with pytest.raises(ValueError), circuit_guard(TRIP_FAST, context=context):
            raise ValueError("quota exceeded")
    assert get_circuit_breaker(TRIP_FAST).state().state is CircuitState.OPEN


@pytest.mark.airflow33
def test_retry_policy_records_failures_and_waits_for_the_probe(conn: str) -> None:
    from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

    policy = ErrorGuardRetryPolicy(base_delay=1, max_delay=5, jitter="none", circuit=TRIP_FAST)
    context: Any = {"ti": SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1)}
    first = policy.evaluate(refused(), 1, 5, context)
    assert first.action is RetryAction.RETRY and first.retry_delay == timedelta(seconds=1)
    second = policy.evaluate(refused(), 2, 5, context)  # trips the circuit: wait for the probe
    assert second.action is RetryAction.RETRY and second.retry_delay > timedelta(seconds=590)
    assert "circuit 'crm_api' is open" in (second.reason or "")
    data = policy.evaluate(ValueError("bad"), 3, 5, context)
    assert data.action is RetryAction.FAIL
    assert get_circuit_breaker(TRIP_FAST).state().total_failures == 2
    with pytest.raises(ErrorGuardConfigError):
        ErrorGuardRetryPolicy(circuit="not a name!")


# -- parse-time validation ------------------------------------------------------------------------


def test_bad_circuits_fail_at_parse_time() -> None:
    from airflow_errorguard.operators.guarded import GuardedOperator

    with pytest.raises(ErrorGuardConfigError, match="field 'name'"):
        CircuitBreakerSensor(task_id="s", circuit="bad name")
    with pytest.raises(ErrorGuardConfigError, match="circuit must be"):
        CircuitBreakerSensor(task_id="s", circuit=42)  # type: ignore[arg-type]
    with pytest.raises(ErrorGuardConfigError, match="on_circuit_open"):
        GuardedOperator(task_id="g", records=[], process=str, circuit="crm_api", on_circuit_open="wait")
    with pytest.raises(ErrorGuardConfigError, match="field 'failure_rate'"):
        GuardedOperator(task_id="g", records=[], process=str, circuit=Circuit("x", failure_rate=2))
    sensor = CircuitBreakerSensor(task_id="ok", circuit="crm_api")
    assert sensor.mode == "reschedule"


def test_task_guarded_takes_a_circuit() -> None:
    from airflow.sdk import DAG, task

    with DAG("eg_parse_guarded", schedule=None) as dag:

        @task.guarded(circuit="crm_api", on_circuit_open="fail")
        def clean(record: int) -> int:
            return record

        clean(records=[1, 2])
    op = dag.get_task("clean")
    assert (op.circuit, op.on_circuit_open) == ("crm_api", "fail")  # type: ignore[attr-defined]
    with pytest.raises(ErrorGuardConfigError, match="field 'name'"), DAG("eg_parse_bad", schedule=None):

        @task.guarded(circuit="no spaces allowed")
        def broken(record: int) -> int:
            return record

        broken(records=[1])


def test_rules_file_circuits_override_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules: []\ncircuits:\n  crm_api:\n    open_duration: 7\n    window_type: time\n    window: 120\n"
    )
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__RULES_FILE", str(rules))
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__CIRCUIT_FAILURE_RATE", "0.25")
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__CIRCUIT_MINIMUM_CALLS", "3")
    crm = resolve("crm_api")
    assert (crm.open_seconds(1), crm.window_seconds, crm.failure_rate, crm.minimum_calls) == (7, 120, 0.25, 3)
    assert resolve("other").open_seconds(1) == 60
    rules.write_text("circuits:\n  crm_api:\n    open_durations: 7\n")
    with pytest.raises(ErrorGuardConfigError, match=r"circuit 'crm_api', field 'open_durations': unknown"):
        resolve("crm_api")
    rules.write_text("circuits:\n  - name: crm_api\n    half_open_probes: 0\n")
    with pytest.raises(
        ErrorGuardConfigError, match=r"rules\.yaml: circuit 'crm_api', field 'half_open_probes'"
    ):
        resolve("crm_api")


def test_bad_circuit_defaults_name_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_errorguard.settings import load_settings

    monkeypatch.setenv("AIRFLOW__ERRORGUARD__CIRCUIT_WINDOW", "2.5")
    with pytest.raises(ErrorGuardConfigError, match=r"\[errorguard\] circuit_window"):
        load_settings()
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__CIRCUIT_WINDOW", "20")
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__CIRCUIT_HALF_OPEN_PROBES", "0")
    with pytest.raises(ErrorGuardConfigError, match="half_open_probes"):
        load_settings()


# -- trigger --------------------------------------------------------------------------------------


def test_trigger_serializes_to_an_importable_classpath() -> None:
    trigger = CircuitBreakerTrigger(circuit=TRIP_FAST.to_dict(), poke_interval=2, on_storage_failure="reject")
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    again = getattr(importlib.import_module(module), name)(**kwargs)
    assert again.serialize() == (classpath, kwargs)
    assert again.config == TRIP_FAST
    with pytest.raises(ValueError, match="poke_interval"):
        CircuitBreakerTrigger(circuit=TRIP_FAST.to_dict(), poke_interval=0)
    with pytest.raises(ErrorGuardConfigError):
        CircuitBreakerTrigger(circuit={**TRIP_FAST.to_dict(), "half_open_probes": 0})


def first_event(trigger: CircuitBreakerTrigger, timeout: float = 60) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        return dict((await asyncio.wait_for(trigger.run().__anext__(), timeout)).payload)

    return asyncio.run(go())


def test_trigger_fires_once_the_probe_is_due(conn: str) -> None:
    short = TRIP_FAST.with_overrides(name="short_api", open_duration=1)
    trip(short)
    event = first_event(CircuitBreakerTrigger(circuit=short.to_dict(), poke_interval=0.2))
    assert event["status"] == "success" and event["circuit"] == "short_api"
    assert (event["state"], event["allowed"], event["probe"]) == ("open", True, True)
    assert datetime.fromisoformat(event["next_probe_at"]) <= datetime.now(UTC)


def test_trigger_never_lets_an_exception_escape(conn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import airflow_errorguard.triggers.circuit_breaker as module

    def broken(*_: object) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "_status", broken)
    event = first_event(CircuitBreakerTrigger(circuit=TRIP_FAST.to_dict()))
    assert event == {"status": "error", "circuit": "crm_api", "message": "RuntimeError: boom"}
