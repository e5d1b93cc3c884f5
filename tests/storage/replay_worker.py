"""Child process of ``test_replay_claims.py``: one replay run (engine + claims + SqlTableSink)."""

from __future__ import annotations

import os
import signal
import traceback
from datetime import timedelta
from typing import Any

from airflow_errorguard.guard.engine import GuardedRun
from airflow_errorguard.guard.options import GuardOptions
from airflow_errorguard.guard.replay import ReplayStore
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.replay_claims import Claimant

SINK_TABLE = "eg_replay_sink"


def claimant(run_id: str, try_number: int = 1, lease: float = 600.0) -> Claimant:
    return Claimant(
        holder=f"replayer/replay/{run_id}/-1",
        try_number=try_number,
        lease=timedelta(seconds=lease),
        actor=f"replay:replayer/replay/{run_id}",
    )


def replay(url: str, who: Claimant, *, batch_size: int = 10, kill_after: int | None = None) -> ReplayStore:
    """Replay every released row; SIGKILL this process while processing record *kill_after*."""
    db = Database(get_engine(url), conn_id=who.holder)
    store = ReplayStore(db, who, [], batch_size)
    seen = 0

    def process(row: Any) -> dict[str, Any]:
        nonlocal seen
        seen += 1
        if kill_after is not None and seen == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        payload = row.payload_value()
        if payload["n"] % 7 == 0:
            raise ValueError(f"record {payload['n']} is still bad")
        return {"n": payload["n"], "replayed_by": who.holder}

    options = GuardOptions(batch_size=batch_size, checkpoint=False, record_key=lambda row: row.id)
    GuardedRun(process, store, options, sink=SqlTableSink(SINK_TABLE)).run(store.records)
    return store


def run(url: str, run_id: str, try_number: int, kill_after: int | None, barrier: Any, results: Any) -> None:  # noqa: PLR0917
    report: dict[str, Any] = {"run_id": run_id, "error": None}
    try:
        barrier.wait(timeout=120)
        store = replay(url, claimant(run_id, try_number), kill_after=kill_after)
        report.update(replayed=store.replayed, failed=store.failed, lost=store.lost)
    except BaseException:
        report["error"] = traceback.format_exc()
    results.put(report)
