"""DAG of tests/guard/test_guarded_sql.py: a common-sql source and an exactly-once SQL sink."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, get_current_context

from airflow_errorguard import Backoff, ErrorGuardRetryPolicy, GuardedOperator
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.sources import SqlRecords

OUT = Path(os.environ.get("EG_GUARD_OUT", "/tmp"))
FAST = Backoff(base_delay=timedelta(0), max_delay=timedelta(0), jitter="none", max_attempts=2, deadline=None)


def process(record: dict[str, Any]) -> dict[str, Any]:
    with (OUT / "calls.txt").open("a") as f:
        f.write(f"{record['id']}\n")
    if record["amount"] is None:
        raise ValueError(f"order {record['id']}: no amount")
    return {"id": record["id"], "amount_cents": round(record["amount"] * 100)}


class CrashingSink(SqlTableSink):
    """Writes the batch, then (on try 1, batch starting at id 150) dies before the commit."""

    def write(self, connection: Any, outputs: list[Any]) -> None:
        super().write(connection, outputs)
        ti = get_current_context()["ti"]
        if ti.try_number == 1 and outputs[0]["id"] >= 150:
            raise TimeoutError("worker lost between the sink write and the commit")


with DAG(
    "eg_guarded_sql",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={
        "retries": 1,
        "retry_delay": timedelta(seconds=1),
        "retry_policy": ErrorGuardRetryPolicy(base_delay=timedelta(milliseconds=50)),
    },
):
    GuardedOperator(
        task_id="load",
        records=SqlRecords(
            "eg_source",
            "SELECT id, amount FROM eg_src_orders WHERE id < :limit",
            parameters={"limit": "{{ params.limit }}"},
            order_by="id",
            fetch_size=40,
        ),
        process=process,
        sink=CrashingSink("eg_orders_clean"),
        record_key="id",
        batch_size=50,
        in_process_retry=FAST,
        params={"limit": 300},
    )
