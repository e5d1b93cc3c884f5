"""DAG of tests/guard/test_chaos_real_scheduler.py: overlapping replay runs, one SIGKILLed mid-batch."""

from __future__ import annotations

import itertools
import os
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, get_current_context

from airflow_errorguard import QuarantineReplayOperator
from airflow_errorguard.guard.sql_sink import SqlTableSink

OUT = Path(os.environ.get("EG_GUARD_OUT", "/tmp"))
_seen = itertools.count(1)


def process(payload: dict[str, Any]) -> dict[str, Any]:
    """Replay a record; the run triggered with ``{"kill": true}`` dies on its 25th record, try 1."""
    seen = next(_seen)
    context = get_current_context()
    if context["dag_run"].conf.get("kill") and context["ti"].try_number == 1 and seen == 25:
        (OUT / f"killed-{context['ti'].run_id}").touch()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.01)  # keep both runs replaying at the same time
    if payload["n"] % 7 == 0:
        raise ValueError(f"record {payload['n']} is still bad")
    return {"n": payload["n"], "run_id": context["ti"].run_id}


with DAG("eg_replay_chaos", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, max_active_runs=2):
    QuarantineReplayOperator(
        task_id="replay",
        process=process,
        sink=SqlTableSink("eg_replay_sink"),
        batch_size=10,
        retries=2,
        retry_delay=timedelta(seconds=1),
    )
