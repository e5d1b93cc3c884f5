"""
errorguard's decisions on a DAG whose tasks fail in different ways (the ``make demo`` DAG).

Every task shares one ``ErrorGuardRetryPolicy`` through ``default_args``. Faults are injected with
real exception objects from real libraries, keyed on the try number, so the run is deterministic:

* ``parse_orders``       bad JSON in a record          → data: fails on try 1, no retry wasted
* ``fetch_rates``        connection reset, twice       → transient: retried with backoff, succeeds
* ``call_partner_api``   HTTP 429, ``Retry-After: 2``  → transient: waits >= 2 s, succeeds
* ``load_warehouse``     a missing table (SQLite)      → configuration: fails on try 1
* ``read_credentials``   an undefined connection       → configuration: fails on try 1
* ``aggregate``          MemoryError                   → system: one retry, then fails
* ``mystery_step``       an unrecognised RuntimeError  → unknown: Airflow's default retries

When ``ERRORGUARD_DEMO_DECISIONS`` names a file, each decision is appended to it as JSON.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from datetime import datetime, timedelta

import requests
from airflow.sdk import DAG, BaseHook, task

from airflow_errorguard import ErrorGuardRetryPolicy
from airflow_errorguard.retry.policy import PolicyDecision


def record_decision(record: PolicyDecision) -> None:
    """Append one decision to the file named by ``ERRORGUARD_DEMO_DECISIONS`` (demo bookkeeping)."""
    path = os.environ.get("ERRORGUARD_DEMO_DECISIONS")
    if not path:
        return
    decision = record.decision
    line = {
        "task_id": record.task_id,
        "try_number": record.try_number,
        "exception": f"{type(record.exception).__name__}: {record.exception}"[:80],
        "category": record.classification.category.value,
        "decision": decision.action.value,
        "delay": decision.retry_delay.total_seconds() if decision.retry_delay is not None else None,
        "reason": record.classification.reason,
    }
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(line) + "\n")


# [START errorguard_default_args]
default_args = {
    "retries": 3,
    "retry_delay": timedelta(seconds=1),  # Airflow's own delay, used for unknown errors
    "retry_policy": ErrorGuardRetryPolicy(
        base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=5), on_decision=record_decision
    ),
}
# [END errorguard_default_args]


def _try_number() -> int:
    from airflow.sdk import get_current_context

    return int(get_current_context()["ti"].try_number)


with DAG(
    dag_id="errorguard_decisions",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=default_args,
    tags=["errorguard", "example"],
):

    @task
    def parse_orders() -> int:
        records = ['{"id": 1, "amount": 10}', '{"id": 2, "amount": ']  # the second row is cut off
        return sum(json.loads(row)["amount"] for row in records)

    @task
    def fetch_rates() -> str:
        if _try_number() <= 2:
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        return "rates fetched"

    @task
    def call_partner_api() -> str:
        if _try_number() == 1:
            response = requests.Response()
            response.status_code = 429
            response.headers["Retry-After"] = "2"
            response.url = "https://partner.example.com/v1/orders"
            raise requests.HTTPError("429 Client Error: Too Many Requests", response=response)
        return "partner orders fetched"

    @task
    def load_warehouse() -> None:
        with sqlite3.connect(":memory:") as connection:
            connection.execute("INSERT INTO fact_orders VALUES (1, 10)")

    @task
    def read_credentials() -> str:
        return BaseHook.get_connection("partner_api_that_nobody_defined").host or ""

    @task
    def aggregate() -> None:
        raise MemoryError("cannot allocate 8 GiB for the pivot table")

    @task
    def mystery_step() -> None:
        raise RuntimeError("the frobnicator is out of sync")

    parse_orders()
    fetch_rates()
    call_partner_api()
    load_warehouse()
    read_credentials()
    aggregate()
    mystery_step()
