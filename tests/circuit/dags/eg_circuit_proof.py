"""DAGs of tests/circuit: a dead dependency trips a shared circuit; a sensor and a guarded task wait.

Environment: ``EG_CIRCUIT`` (circuit name, unique per test), ``EG_DEAD_PORT`` (a closed loopback
port), ``EG_LIVE_PORT`` (a loopback port that accepts connections once the "service is back"),
``EG_CIRCUIT_OUT`` (directory for JSON reports), ``EG_OPEN_S`` (open duration, seconds).
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, PokeReturnValue, get_current_context, task

from airflow_errorguard import (
    Circuit,
    CircuitBreakerSensor,
    CircuitOpenError,
    GuardedOperator,
    circuit_guard,
)

OUT = Path(os.environ.get("EG_CIRCUIT_OUT", "/tmp"))
CIRCUIT = Circuit(
    os.environ.get("EG_CIRCUIT", "eg_dead_api"),
    failure_rate=None,
    consecutive_failures=3,
    open_duration=timedelta(seconds=float(os.environ.get("EG_OPEN_S", "20"))),
    half_open_probes=1,
)
START = datetime(2026, 1, 1, tzinfo=UTC)


def call(port_var: str) -> None:
    """Open a TCP connection to the 'service' (1 s client timeout, like a typical client)."""
    with socket.create_connection(("127.0.0.1", int(os.environ[port_var])), timeout=1):
        pass


def report(name: str, data: dict[str, object]) -> None:
    ti = get_current_context()["ti"]
    now = datetime.now(UTC).isoformat()
    data = {**data, "dag_id": ti.dag_id, "task": ti.task_id, "at": now, "try_number": ti.try_number}
    with (OUT / f"{name}.jsonl").open("a") as f:
        f.write(json.dumps(data) + "\n")


with DAG("eg_circuit_producer", schedule=None, start_date=START, catchup=False):

    @task
    def hammer_dead_dependency() -> dict[str, int]:
        """Five calls to a dead port: three refused, then the circuit rejects without calling."""
        counts = {"refused": 0, "rejected": 0}
        for _ in range(5):
            try:
                with circuit_guard(CIRCUIT):
                    call("EG_DEAD_PORT")
            except ConnectionRefusedError:
                counts["refused"] += 1
            except CircuitOpenError:
                counts["rejected"] += 1
        report("producer", counts)
        return counts

    hammer_dead_dependency()


class RecordingSensor(CircuitBreakerSensor):
    """Reports every poke, so the test can see the sensor held while the circuit was open."""

    def poke(self, context: Any) -> PokeReturnValue:
        poked = super().poke(context)
        report("sensor", dict(poked.xcom_value))
        return poked

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        status = super().execute_complete(context, event)
        report("sensor", {**status, "from_trigger": True})
        return status


def consumer(dag_id: str, deferrable: bool) -> None:
    with DAG(dag_id, schedule=None, start_date=START, catchup=False):
        wait = RecordingSensor(
            task_id="wait_for_api",
            circuit=CIRCUIT,
            # Not seconds: on a loaded machine Airflow 3.3's LocalExecutor can report a finished poke
            # (its supervisor exiting up to ~5 s late) after the next poke was queued; the scheduler
            # then fails the sensor ("finished with state success, but ... state is queued").
            poke_interval=15,
            timeout=600,
            deferrable=deferrable,
        )

        @task
        def use_api() -> str:
            with circuit_guard(CIRCUIT):
                call("EG_LIVE_PORT")
            report("consumer", {"called": True})
            return "ok"

        wait >> use_api()


consumer("eg_circuit_consumer", deferrable=False)
consumer("eg_circuit_consumer_deferrable", deferrable=True)


def process(record: int) -> int:
    return record * 2


def written(outputs: list[int], context: object) -> None:
    report("guarded", {"outputs": len(outputs)})


with DAG("eg_circuit_guarded", schedule=None, start_date=START, catchup=False):
    GuardedOperator(
        task_id="guarded_load",
        records=list(range(10)),
        process=process,
        sink=written,
        batch_size=5,
        circuit=CIRCUIT,
        on_circuit_open="reschedule",
    )

with DAG("eg_circuit_sensor_timeout", schedule=None, start_date=START, catchup=False):
    CircuitBreakerSensor(
        task_id="wait_soft", circuit=CIRCUIT, poke_interval=1, timeout=2, soft_fail=True, mode="poke"
    )
