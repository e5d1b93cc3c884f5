"""DAG used by the integration tests: three ways to fail, one shared ErrorGuardRetryPolicy."""

from __future__ import annotations

import errno
from datetime import datetime, timedelta

import requests
from airflow.sdk import DAG, get_current_context, task

from airflow_errorguard import ErrorGuardRetryPolicy

with DAG(
    dag_id="errorguard_policy_proof",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=1),
        "retry_policy": ErrorGuardRetryPolicy(
            base_delay=timedelta(milliseconds=100), max_delay=timedelta(seconds=10)
        ),
    },
):

    @task
    def bad_record() -> None:
        {"id": 1}["customer_id"]  # KeyError: data, must fail on try 1 despite retries=3

    @task
    def flaky_network() -> str:
        if int(get_current_context()["ti"].try_number) <= 2:
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        return "ok"

    @task
    def rate_limited() -> str:
        if int(get_current_context()["ti"].try_number) == 1:
            response = requests.Response()
            response.status_code = 429
            response.headers["Retry-After"] = "7"
            response.url = "https://api.example.com/v1/orders"
            raise requests.HTTPError("429 Client Error: Too Many Requests", response=response)
        return "ok"

    bad_record()
    flaky_network()
    rate_limited()
