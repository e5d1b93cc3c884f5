"""
Shared circuit, consumer side: a sensor holds a group of CRM tasks while ``crm_api`` is open.

``wait_for_crm`` succeeds at once while the circuit is closed. While it is open (tripped by any
DAG, e.g. ``shared_circuit_producer``) the sensor waits without holding a worker slot
(``mode="reschedule"``, or ``deferrable=True`` to wait in the triggerer); once the open duration
has passed it lets the group run, and the first CRM call is the half-open probe that closes (or
re-opens) the circuit. After ``$CRM_SENSOR_TIMEOUT`` seconds (default 600) the sensor gives up and,
with ``soft_fail=True``, the group is skipped instead of failed.

Needs ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (where errorguard's tables are).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import requests
from airflow.sdk import DAG, task

from airflow_errorguard import Circuit, CircuitBreakerSensor, circuit_guard

CRM_API = Circuit(
    "crm_api",
    failure_rate=0.5,
    window=10,
    minimum_calls=3,
    open_duration=timedelta(seconds=float(os.environ.get("CRM_OPEN_SECONDS", "30"))),
    open_duration_growth=2.0,
    half_open_probes=1,
)
CRM_API_URL = os.environ.get("CRM_API_URL", "http://127.0.0.1:9/contacts")


def crm_url() -> str:
    """The CRM endpoint: the run's ``{"crm_api_url": ...}`` conf, else ``$CRM_API_URL``."""
    from airflow.sdk import get_current_context

    conf = get_current_context()["dag_run"].conf or {}
    return str(conf.get("crm_api_url") or CRM_API_URL)


# [START shared_circuit_consumer]
with DAG("shared_circuit_consumer", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    wait_for_crm = CircuitBreakerSensor(
        task_id="wait_for_crm",
        circuit=CRM_API,
        mode="reschedule",  # or deferrable=True
        poke_interval=10,
        timeout=float(os.environ.get("CRM_SENSOR_TIMEOUT", "600")),
        soft_fail=True,  # skip the group instead of failing when the CRM stays down
    )

    @task
    def refresh_segments() -> int:
        # on_open="reschedule": if the circuit opened meanwhile, wait again without using a retry.
        with circuit_guard(CRM_API, on_open="reschedule"):
            response = requests.get(crm_url(), timeout=5)
            response.raise_for_status()
        return response.status_code

    @task
    def export_report(status: int) -> str:
        return f"segments refreshed (HTTP {status})"

    segments = refresh_segments()
    wait_for_crm >> segments
    export_report(segments)
# [END shared_circuit_consumer]
