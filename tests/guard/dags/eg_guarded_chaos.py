"""
DAG of tests/guard/test_chaos_real_scheduler.py: 10,000 records, 20 % transient faults, 2 % bad
records, the task process SIGKILLed at three seeded random records, and errorguard's database
taken away once (the task asks the test's proxy for an outage by writing a file).
"""

from __future__ import annotations

import errno
import os
import random
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG

from airflow_errorguard import Backoff, ErrorGuardRetryPolicy, GuardedOperator, SqlTableSink

OUT = Path(os.environ.get("EG_GUARD_OUT", "/tmp"))
RECORDS = 10_000
KILL_AT = sorted(random.Random(20261123).sample(range(RECORDS), 3))
OUTAGE_AT = 4_321
_FAILED_ONCE: set[int] = set()


def _once(name: str) -> bool:
    """True the first time *name* is asked for, across task processes (a marker file)."""
    try:
        (OUT / name).touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


def process(record: dict[str, Any]) -> dict[str, Any]:
    rid = record["id"]
    if rid % 50 == 0:
        raise ValueError(f"order {rid}: amount is not a number")
    if (rid * 2654435761) % 100 < 20 and rid not in _FAILED_ONCE:  # 20 %: first attempt only
        _FAILED_ONCE.add(rid)
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    if rid in KILL_AT and _once(f"killed-{rid}"):
        os.kill(os.getpid(), signal.SIGKILL)
    if rid == OUTAGE_AT and _once("outage-requested"):
        deadline = time.monotonic() + 10
        while not (OUT / "outage-started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return {"id": rid, "amount_cents": rid * 3}


with DAG("eg_guarded_chaos", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    GuardedOperator(
        task_id="chaos",
        records=lambda context, position: ({"id": i} for i in range(position, RECORDS)),
        process=process,
        sink=SqlTableSink("eg_chaos_sink"),
        record_key="id",
        batch_size=250,
        in_process_retry=Backoff(
            base_delay=timedelta(milliseconds=1), max_delay=timedelta(milliseconds=5), max_attempts=3
        ),
        retries=10,
        retry_delay=timedelta(seconds=1),
        retry_policy=ErrorGuardRetryPolicy(base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=2)),
    )
