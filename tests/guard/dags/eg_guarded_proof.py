"""DAGs of tests/guard/test_guarded_airflow.py; outputs go under $EG_GUARD_OUT."""

from __future__ import annotations

import errno
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, get_current_context, task

from airflow_errorguard import Backoff, GuardedOperator, QuarantineReplayOperator, retry_policy_args

OUT = Path(os.environ.get("EG_GUARD_OUT", "/tmp"))
FAST = Backoff(base_delay=timedelta(0), max_delay=timedelta(0), jitter="none", max_attempts=3, deadline=None)
#: The retry policy on Airflow 3.3+; below, the guarded tasks fail fast on their own (same outcomes).
POLICY = retry_policy_args(base_delay=timedelta(milliseconds=50), max_delay=timedelta(milliseconds=200))
_FAILED_ONCE: set[tuple[str, int]] = set()


def _ti() -> Any:
    return get_current_context()["ti"]


def _append(name: str, lines: list[str]) -> None:
    with (OUT / name).open("a") as f:
        f.write("".join(f"{line}\n" for line in lines))


def sink(outputs: list[dict[str, Any]], context: Any) -> None:
    ti = context["ti"]
    _append(f"sink-{ti.task_id}-{ti.map_index}.txt", [str(o["id"]) for o in outputs])


def process(record: dict[str, Any]) -> dict[str, Any]:
    """2 % bad rows (id % 50 == 0), 5 % transient first-attempt failures (id % 20 == 7)."""
    ti = _ti()
    rid = record["id"]
    _append(f"calls-{ti.task_id}-{ti.map_index}.txt", [str(rid)])
    if rid % 50 == 0:
        raise ValueError(f"order {rid}: amount {record['amount']!r} is not a number")
    if rid % 20 == 7 and (ti.task_id, rid) not in _FAILED_ONCE:
        _FAILED_ONCE.add((ti.task_id, rid))
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    if ti.task_id == "resume" and rid == 170 and ti.try_number == 1:
        raise TimeoutError("upstream API timed out")  # every in-process attempt of try 1
    return {"id": rid, "amount": float(record["amount"])}


def save_failure(context: Any) -> None:
    from airflow_errorguard.compat import finalizing_task_error

    ti = context["ti"]
    # Airflow 3.1/3.2's dag.test() leaves the exception out of a callback's context (their worker
    # sets it): there it is the one the task runner's finalize() is handling.
    error = context.get("exception") or finalizing_task_error()
    (OUT / f"failure-{ti.task_id}-{ti.try_number}.txt").write_text(str(error))


def orders(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "amount": "n/a" if i % 50 == 0 else str(i)} for i in range(n)]


START = datetime(2026, 1, 1)
default_args = {"retries": 2, "retry_delay": timedelta(seconds=1), **POLICY}

with DAG(
    "eg_guarded_main",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=default_args,
):

    @task
    def extract() -> list[dict[str, Any]]:
        return orders(1000)

    @task.guarded(sink=sink, record_key="id", batch_size=100, in_process_retry=FAST)
    def clean(record: dict[str, Any]) -> dict[str, Any]:
        return process(record)

    cleaned = clean(records=extract())  # type: ignore[call-arg]  # records= is the guard's, not clean's
    clean.expand(records=[orders(20), orders(120)[100:]])  # task id clean__1

    resume = GuardedOperator(
        task_id="resume",
        records=lambda context, position: iter(orders(300)[position:]),
        process=process,
        sink=sink,
        record_key="id",
        batch_size=50,
        in_process_retry=FAST,
    )

    mapped = GuardedOperator.partial(
        task_id="mapped", process=process, sink=sink, record_key="id", batch_size=10, in_process_retry=FAST
    ).expand(records=[orders(60), orders(60)[30:]])

    @task
    def summaries(clean_summary: Any, resume_summary: Any) -> None:
        (OUT / "summaries.json").write_text(json.dumps({"clean": clean_summary, "resume": resume_summary}))

    @task
    def release() -> int:
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook
        from airflow_errorguard.storage import QuarantineFilter

        ti = _ti()
        repo = ErrorGuardHook().quarantine
        rows = repo.page(
            QuarantineFilter(dag_id=ti.dag_id, task_id="clean", run_id=ti.run_id), limit=100
        ).items
        return len(repo.release([r.id for r in rows], actor="test").changed)

    def fix(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["id"] % 100 == 0:
            raise ValueError(f"order {payload['id']} still has no amount")
        return {"id": payload["id"], "amount": 0.0}

    replay = QuarantineReplayOperator(
        task_id="replay",
        process=fix,
        sink=sink,
        source_dag_id="eg_guarded_main",
        source_task_id="clean",
        source_run_id="{{ run_id }}",
        batch_size=7,
    )

    summaries(cleaned, resume.output)
    cleaned >> release() >> replay

with DAG(
    "eg_guarded_budget",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=default_args,
):
    GuardedOperator(
        task_id="budget",
        records=[{"id": i, "amount": "x" if i % 5 == 0 else str(i)} for i in range(100)],
        process=lambda r: float(r["amount"]),
        record_key="id",
        batch_size=25,
        max_quarantine_ratio=0.05,
        on_failure_callback=save_failure,
    )
