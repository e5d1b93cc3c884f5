"""
errorguard's decisions on a DAG whose tasks fail in different ways (the ``make demo`` DAG).

Every task shares one ``ErrorGuardRetryPolicy`` through ``default_args`` (Airflow 3.3+; below 3.3
``retry_policy_args`` attaches none, the tasks retry as ``retries``/``retry_delay`` say and no
decision is recorded). Faults are injected with
real exception objects from real libraries, keyed on the try number, so the run is deterministic:

* ``parse_orders``       bad JSON in a record          → data: fails on try 1, no retry wasted
* ``fetch_rates``        connection reset, twice       → transient: retried with backoff, succeeds
* ``call_partner_api``   HTTP 429, ``Retry-After: 2``  → transient: waits >= 2 s, succeeds
* ``load_warehouse``     a missing table (SQLite)      → configuration: fails on try 1
* ``read_credentials``   an undefined connection       → configuration: fails on try 1
* ``aggregate``          MemoryError                   → system: one retry, then fails
* ``mystery_step``       an unrecognised RuntimeError  → unknown: Airflow's default retries

Each decision is stored as a row of ``errorguard_error_event`` through ``ErrorGuardHook``: task code
reaches errorguard's tables through the ``errorguard_default`` connection
(``AIRFLOW_CONN_ERRORGUARD_DEFAULT``), never through Airflow's ORM. Without that connection the
decisions are still made; only the record is skipped (and logged).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
from datetime import datetime, timedelta

import requests
from airflow.sdk import DAG, BaseHook, task

from airflow_errorguard import retry_policy_args
from airflow_errorguard.hooks.errorguard import ErrorGuardHook
from airflow_errorguard.retry.policy import PolicyDecision
from airflow_errorguard.storage.events import ErrorEvent
from airflow_errorguard.storage.identity import TaskIdentity

log = logging.getLogger(__name__)


def record_decision(record: PolicyDecision) -> None:
    """Store one decision in ``errorguard_error_event`` (when the errorguard connection is defined)."""
    if not os.environ.get("AIRFLOW_CONN_ERRORGUARD_DEFAULT"):
        log.info("errorguard_default is not defined; decision not recorded")
        return
    identity = TaskIdentity(
        dag_id=record.dag_id or "unknown",
        task_id=record.task_id or "unknown",
        run_id=record.run_id or "unknown",
        map_index=record.map_index,
        try_number=record.try_number,
    )
    ErrorGuardHook().events.append(
        ErrorEvent.from_classification(
            identity,
            record.classification,
            error=record.exception,
            decision=record.decision.action.value,
            delay=record.decision.retry_delay,
            max_tries=record.max_tries,
        )
    )


# [START errorguard_default_args]
default_args = {
    "retries": 3,
    "retry_delay": timedelta(seconds=1),  # Airflow's own delay, used for unknown errors
    # {"retry_policy": ErrorGuardRetryPolicy(...)} on Airflow 3.3+; {} below 3.3 (a warning says so).
    **retry_policy_args(
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
