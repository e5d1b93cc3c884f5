"""DAGs of benchmarks/bench_recovery.py: a transient blip and a permanent error, native vs errorguard."""

from __future__ import annotations

import errno
import os
from datetime import datetime, timedelta

from airflow.sdk import DAG, get_current_context, task

from airflow_errorguard import Backoff, ErrorGuardRetryPolicy, run_with_retry

RETRY_DELAY = timedelta(seconds=float(os.environ.get("EG_BENCH_RETRY_DELAY_S", "5")))
START = datetime(2026, 1, 1)
_CALLS = {"n": 0}


def call_api() -> str:
    """The first call of each task process is dropped by the peer; the next one works."""
    _CALLS["n"] += 1
    if _CALLS["n"] == 1:
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    return "ok"


def read_settings() -> None:
    raise PermissionError(errno.EACCES, "Permission denied: '/etc/pipeline/credentials.json'")


with DAG("bench_blip_native", schedule=None, start_date=START, catchup=False):

    @task(retries=1, retry_delay=RETRY_DELAY)
    def blip() -> str:
        if get_current_context()["ti"].try_number == 1:
            raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
        return "ok"

    blip()

with DAG("bench_blip_inprocess", schedule=None, start_date=START, catchup=False):

    @task(retries=1, retry_delay=RETRY_DELAY)
    def blip_in_process() -> str:
        return run_with_retry(
            call_api, backoff=Backoff(base_delay=timedelta(milliseconds=200), max_attempts=3)
        )

    blip_in_process()

with DAG("bench_permanent_native", schedule=None, start_date=START, catchup=False):

    @task(retries=3, retry_delay=RETRY_DELAY)
    def load() -> None:
        read_settings()

    load()

with DAG("bench_permanent_errorguard", schedule=None, start_date=START, catchup=False):

    @task(retries=3, retry_delay=RETRY_DELAY, retry_policy=ErrorGuardRetryPolicy())
    def load_guarded() -> None:
        read_settings()

    load_guarded()
