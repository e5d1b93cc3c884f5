"""Child process of ``test_concurrency.py``: quarantine overlapping keys and advance one checkpoint."""

from __future__ import annotations

import random
import traceback
from typing import Any

from airflow_errorguard.exceptions import ErrorGuardCheckpointConflict
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.unit_of_work import UnitOfWork, run_in_unit_of_work

TASK = TaskIdentity("concurrency", "load", "manual__1")
KEY = CheckpointKey("shared-counter")
KEY_POOL = 400


def batch_keys(worker: int, iteration: int, size: int) -> list[int]:
    """The (overlapping) record keys one worker quarantines in one iteration; deterministic."""
    return random.Random(worker * 1000 + iteration).sample(range(KEY_POOL), size)


#: Every worker meets the same few errors: their signatures are upserted concurrently.
SIGNATURES = 3
STACK = 'Traceback (most recent call last):\n  File "etl.py", line {n}, in parse\nValueError: '


def item(k: int, worker: int) -> QuarantineItem:
    """Record *k* as *worker* quarantines it: one of :data:`SIGNATURES` errors, its own message."""
    n = k % SIGNATURES
    message = f"bad value {k}"
    trace = f"{STACK.format(n=n)}{message}\n"
    return QuarantineItem(
        f"rec-{k:04d}", {"k": k, "by": worker}, "data", "builtins.ValueError", message, trace, f"fp{n}"
    )


def run(url: str, worker: int, iterations: int, size: int, barrier: Any, results: Any) -> None:  # noqa: PLR0917
    """One worker: *iterations* units of work, each a batch plus a checkpoint advance."""
    report: dict[str, Any] = {"worker": worker, "inserted": 0, "conflicts": 0, "error": None}
    try:
        db = Database(get_engine(url), conn_id=f"worker-{worker}")
        barrier.wait(timeout=120)
        for iteration in range(iterations):
            items = [item(k, worker) for k in batch_keys(worker, iteration, size)]

            def work(uow: UnitOfWork, items: list[QuarantineItem] = items) -> int:
                inserted = uow.quarantine.add(TASK, items).inserted
                # Even workers lock the checkpoint row; odd ones rely on compare-and-swap alone.
                current = uow.checkpoints.get(KEY, for_update=worker % 2 == 0)
                state = current.state if current else {"advances": 0, "inserted": 0}
                uow.checkpoints.save(
                    KEY,
                    state={"advances": state["advances"] + 1, "inserted": state["inserted"] + inserted},
                    expected_version=current.version if current else 0,
                    updated_by=f"worker-{worker}",
                )
                return inserted

            while True:
                try:
                    report["inserted"] += run_in_unit_of_work(db, work, attempts=5, backoff=0.01)
                    break
                except ErrorGuardCheckpointConflict:
                    report["conflicts"] += 1  # lost the race to create the checkpoint: redo the batch
    except BaseException:
        report["error"] = traceback.format_exc()
    results.put(report)
