"""DAG of test_long_wait_real_scheduler.py: an API answers one record with 429 + Retry-After: 40."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from airflow.sdk import DAG

from airflow_errorguard import GuardedOperator

OUT = Path(os.environ.get("EG_GUARD_OUT", "/tmp"))
API = os.environ.get("EG_RATE_LIMITED_API", "http://127.0.0.1:9")


def process(record: int) -> int:
    requests.get(f"{API}/items/{record}", timeout=10).raise_for_status()
    return record


def sink(outputs: list[int], context: Any) -> None:
    with (OUT / "sink.txt").open("a") as f:
        f.write("".join(f"{o}\n" for o in outputs))


with DAG("eg_guarded_long_wait", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    GuardedOperator(
        task_id="guarded",
        records=list(range(40)),
        process=process,
        sink=sink,
        batch_size=10,
        reschedule_waits_over=timedelta(seconds=30),  # the default, spelled out
        retries=2,
        retry_delay=timedelta(seconds=1),
    )
