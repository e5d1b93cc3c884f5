"""DAG of tests/guard/test_guarded_real_scheduler.py: the task process SIGKILLs itself mid-batch."""

from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, get_current_context

from airflow_errorguard import GuardedOperator

OUT = Path(os.environ.get("EG_GUARD_OUT", "/tmp"))


def _append(name: str, line: str) -> None:
    with (OUT / name).open("a") as f:
        f.write(f"{line}\n")


def process(record: dict[str, Any]) -> int:
    ti = get_current_context()["ti"]
    _append("calls.txt", str(record["id"]))
    if record["id"] % 50 == 0:
        raise ValueError(f"order {record['id']} has no amount")
    if record["id"] == 260 and ti.try_number == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # mid-batch: batches 0..199 are committed
    return int(record["id"])


def sink(outputs: list[int], context: Any) -> None:
    with (OUT / "sink.txt").open("a") as f:
        f.write("".join(f"{o}\n" for o in outputs))


with DAG("eg_guarded_sigkill", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    GuardedOperator(
        task_id="guarded",
        records=[{"id": i} for i in range(500)],
        process=process,
        sink=sink,
        record_key="id",
        batch_size=100,
        retries=2,
        retry_delay=timedelta(seconds=1),
    )
