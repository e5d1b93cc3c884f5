"""DAGs of tests/scenarios/test_user_scenarios.py: documented patterns combined as a user would.

Outputs (calls, alerts, summaries) land in files under ``$EG_SCEN_OUT``; errorguard's tables are
reached through ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (the metadata DB).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, get_current_context, task

from airflow_errorguard import (
    Backoff,
    Circuit,
    CircuitBreakerSensor,
    Classifier,
    ErrorGuardRetryPolicy,
    QuarantineReplayOperator,
    Rule,
    SqlTableSink,
    circuit_guard,
)
from airflow_errorguard.alerts import ErrorGuardCallback
from airflow_errorguard.hooks.errorguard import ErrorGuardHook

OUT = Path(os.environ.get("EG_SCEN_OUT", "/tmp"))
START = datetime(2026, 1, 1)
TABLE = "eg_scen_orders"
FAST = Backoff(base_delay=timedelta(0), max_delay=timedelta(0), jitter="none", max_attempts=2, deadline=None)


def _append(name: str, line: str) -> None:
    with (OUT / name).open("a") as f:
        f.write(line + "\n")


def file_notifier(context: Any) -> None:
    """A callable notifier: one JSON line per alert sent."""
    _append("alerts.jsonl", json.dumps(context["errorguard_alert"], default=str))


alerts = ErrorGuardCallback(notifiers=[file_notifier])
POLICY = ErrorGuardRetryPolicy(base_delay=timedelta(milliseconds=50))


# -- 1. sink + process failures + load-time rejects + in-process retry + Airflow retry ------------


def order(n: int) -> dict[str, Any]:
    customer: str | None = f"c{n % 7}"
    amount = n % 90 + 1
    if n % 50 == 20:
        customer = None  # NOT NULL violation at load
    elif n % 50 == 30:
        amount = -1  # CHECK violation at load
    return {"id": n, "customer": customer, "amount": amount}


class FlakyCommitSink(SqlTableSink):
    """Try 1: batch 100..149 is written, then the connection "drops" before the commit."""

    def write(self, connection: Any, outputs: list[Any]) -> Any:
        result = super().write(connection, outputs)
        ti = get_current_context()["ti"]
        if ti.try_number == 1 and min(o["id"] for o in outputs) >= 100:
            raise TimeoutError("connection to the warehouse timed out before commit")
        return result


with DAG(
    "eg_scen_sink",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={
        "retries": 1,
        "retry_delay": timedelta(seconds=1),
        "retry_policy": POLICY,
        **alerts.default_args(),
    },
):

    @task
    def create_table() -> None:
        with ErrorGuardHook().database.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
            conn.exec_driver_sql(
                f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, customer VARCHAR(20) NOT NULL, "
                "cents INTEGER NOT NULL CONSTRAINT cents_positive CHECK (cents > 0))"
            )

    @task
    def extract() -> list[dict[str, Any]]:
        return [order(n) for n in range(200)]

    @task.guarded(
        sink=FlakyCommitSink(TABLE),
        record_key="id",
        batch_size=50,
        max_quarantine_ratio=0.2,
        in_process_retry=FAST,
    )
    def load(rec: dict[str, Any]) -> dict[str, Any]:
        _append("calls.txt", str(rec["id"]))
        if rec["id"] % 40 == 5:
            raise ValueError(f"order {rec['id']}: unknown currency 'EURO'")
        if rec["id"] == 33 and not (OUT / "flaked-33").exists():
            (OUT / "flaked-33").touch()
            raise ConnectionResetError(104, "Connection reset by peer")
        return {"id": rec["id"], "customer": rec["customer"], "cents": rec["amount"] * 100}

    summary = load(records=extract())  # type: ignore[call-arg]

    @task
    def report(summary: Any) -> None:
        (OUT / "summary.json").write_text(json.dumps(summary, default=str))

    create_table() >> summary
    report(summary)


def fix(payload: dict[str, Any]) -> dict[str, Any]:
    """The upstream fix: process failures carry the input record, load rejects the output row."""
    if "amount" in payload:
        return {"id": payload["id"], "customer": payload["customer"], "cents": payload["amount"] * 100}
    return {**payload, "customer": payload["customer"] or "c-fixed"}  # a negative amount stays bad


with DAG("eg_scen_replay", schedule=None, start_date=START, catchup=False):

    @task
    def release() -> int:
        hook = ErrorGuardHook()
        with hook.database.engine.connect() as conn:
            ids = [
                row[0]
                for row in conn.exec_driver_sql(
                    "SELECT id FROM errorguard_quarantine WHERE dag_id = 'eg_scen_sink' "
                    "AND task_id = 'load' AND status = 'quarantined'"
                )
            ]
        hook.quarantine.release(ids, actor="scenario", note="fixed upstream")
        return len(ids)

    replay = QuarantineReplayOperator(
        task_id="replay",
        process=fix,
        sink=SqlTableSink(TABLE),
        source_dag_id="eg_scen_sink",
        source_task_id="load",
        batch_size=50,
    )

    @task
    def keep_replay(summary: Any) -> None:
        (OUT / "replay-summary.json").write_text(json.dumps(summary, default=str))

    release() >> replay
    keep_replay(replay.output)


# -- 2. one circuit, two DAGs and a sensor; a configuration error fails fast ---------------------

WAREHOUSE = Circuit(
    "eg_scen_warehouse",
    failure_rate=None,
    consecutive_failures=2,
    minimum_calls=1,
    open_duration=timedelta(minutes=10),
)

with DAG(
    "eg_scen_circuit_a",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=1),
        "retry_policy": POLICY,
        **alerts.default_args(),
    },
):

    @task
    def bad_credentials() -> None:
        import psycopg2

        with circuit_guard(WAREHOUSE):
            psycopg2.connect(
                host="127.0.0.1",
                port=5432,
                user="eg_scen_no_such_user",
                password="wrong",
                dbname="postgres",
                connect_timeout=5,
            ).close()

    @task(retries=0, trigger_rule="all_done")
    def push(region: str) -> None:
        import socket

        with circuit_guard(WAREHOUSE):
            socket.create_connection(("127.0.0.1", 9), timeout=2).close()  # refused: transient

    bad_credentials() >> push.expand(region=["emea", "amer", "apac"])


with DAG(
    "eg_scen_circuit_b",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=1),
        "retry_policy": POLICY,
        **alerts.default_args(),
    },
):
    wait = CircuitBreakerSensor(
        task_id="wait_for_warehouse",
        circuit=WAREHOUSE,
        mode="poke",
        poke_interval=1,
        timeout=3,
        soft_fail=True,
    )

    @task.guarded(circuit=WAREHOUSE, record_key="id")
    def sync(rec: dict[str, Any]) -> dict[str, Any]:
        _append("sync-calls.txt", str(rec["id"]))
        return rec

    wait >> sync(records=[{"id": i} for i in range(5)])  # type: ignore[call-arg]


# -- 3. mapped guarded task with a custom classifier; the alert agrees -----------------------------

RULES = Classifier(
    rules=[
        Rule(name="legacy-glitch-is-data", message=r"legacy glitch", category="data"),
        Rule(name="tenant-disabled-is-config", message=r"tenant \w+ is disabled", category="configuration"),
    ]
)

with DAG(
    "eg_scen_mapped_rules",
    schedule=None,
    start_date=START,
    catchup=False,
    # The policy has no classifier of its own: it decides with the task's classifier= (docs/alerting.md).
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=1),
        "retry_policy": POLICY,
        **alerts.default_args(),
    },
):

    def file_sink(outputs: list[Any], context: Any) -> None:
        index = context["ti"].map_index
        for out in outputs:
            _append(f"mapped-sink-{index}.txt", str(out["id"]))

    @task.guarded(
        classifier=RULES,
        sink=file_sink,
        record_key="id",
        batch_size=10,
        max_quarantine_ratio=0.5,
        in_process_retry=FAST,
    )
    def enrich(rec: dict[str, Any]) -> dict[str, Any]:
        if rec.get("glitch"):
            raise RuntimeError(f"legacy glitch in record {rec['id']}")
        if rec.get("tenant"):
            raise RuntimeError(f"tenant {rec['tenant']} is disabled")
        if rec.get("flaky") and get_current_context()["ti"].try_number == 1:
            raise ConnectionResetError(104, "Connection reset by peer")  # both in-process attempts
        return {"id": rec["id"]}

    batch_a = [{"id": i, "glitch": i % 7 == 3} for i in range(30)]
    batch_b = [{"id": 100 + i, "tenant": "acme" if i == 15 else None} for i in range(30)]
    batch_c = [{"id": 200 + i, "flaky": i == 15} for i in range(30)]
    enrich.expand(records=[batch_a, batch_b, batch_c])


# -- 4. rules from [errorguard] rules_file: engine, retry policy and alert all use them ---------

with DAG(
    "eg_scen_rules_file",
    schedule=None,
    start_date=START,
    catchup=False,
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=1),
        "retry_policy": ErrorGuardRetryPolicy(base_delay=timedelta(milliseconds=50)),
        **alerts.default_args(),
    },
):

    @task
    def call_quota_api() -> None:
        _append("quota-calls.txt", str(get_current_context()["ti"].try_number))
        raise RuntimeError("quota bucket drained for tenant acme")  # unknown without the rules file

    @task.guarded(record_key="id", batch_size=10, max_quarantine_ratio=0.5, in_process_retry=FAST)
    def parse(rec: dict[str, Any]) -> int:
        if rec["id"] % 4 == 1:
            raise RuntimeError(f"poison marker in record {rec['id']}")  # data, by the rules file
        return int(rec["id"])

    @task
    def keep(summary: Any) -> None:
        (OUT / "rules-summary.json").write_text(json.dumps(summary, default=str))

    call_quota_api()
    keep(parse(records=[{"id": i} for i in range(20)]))  # type: ignore[call-arg]
