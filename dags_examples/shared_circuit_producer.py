"""
Shared circuit, producer side: three tasks push contacts to a CRM API through the ``crm_api`` circuit.

With the CRM down (the default ``$CRM_API_URL`` is a closed local port) every call is refused:
the tasks fail, and after three failures the circuit opens for ``$CRM_OPEN_SECONDS`` (default 30 s)
in errorguard's tables, for every worker and DAG. Later calls are rejected at once instead of
waiting on a client timeout. ``shared_circuit_consumer`` waits on the same circuit. Point
``$CRM_API_URL`` (or the run's ``{"crm_api_url": ...}`` conf) at a live endpoint and it succeeds.

Needs ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (where errorguard's tables are).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import requests
from airflow.sdk import DAG, task

# [START shared_circuit_definition]
from airflow_errorguard import Circuit, circuit_guard

CRM_API = Circuit(
    "crm_api",
    failure_rate=0.5,  # open when half the calls in the window fail...
    window=10,  # ...of the last 10 calls...
    minimum_calls=3,  # ...once there are at least 3
    open_duration=timedelta(seconds=float(os.environ.get("CRM_OPEN_SECONDS", "30"))),
    open_duration_growth=2.0,  # 30 s, 60 s, 120 s... while probes keep failing
    half_open_probes=1,
)
# [END shared_circuit_definition]
CRM_API_URL = os.environ.get("CRM_API_URL", "http://127.0.0.1:9/contacts")


def crm_url() -> str:
    """The CRM endpoint: the run's ``{"crm_api_url": ...}`` conf, else ``$CRM_API_URL``."""
    from airflow.sdk import get_current_context

    conf = get_current_context()["dag_run"].conf or {}
    return str(conf.get("crm_api_url") or CRM_API_URL)


# [START shared_circuit_producer]
with DAG("shared_circuit_producer", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):

    @task(retries=0)
    def push_contacts(region: str) -> int:
        # Rejected at once (CircuitOpenError) while the circuit is open; outcomes are recorded.
        with circuit_guard(CRM_API):
            response = requests.post(crm_url(), json={"region": region}, timeout=5)
            response.raise_for_status()
        return response.status_code

    push_contacts.expand(region=["emea", "amer", "apac"])
# [END shared_circuit_producer]
