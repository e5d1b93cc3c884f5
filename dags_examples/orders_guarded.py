"""
Guarded record processing: clean 1,000 orders where 2 % are malformed and the pricing API drops
5 % of first calls.

``clean`` ends in SUCCESS on its first try: the malformed orders are quarantined (with payload,
traceback, classification and fingerprint in ``errorguard_quarantine``), the dropped calls are
retried in-process, and every good order is upserted into the sink table exactly once. If the
task fails mid-stream, its retry resumes after the last committed batch: trigger the DAG with
``{"pricing_outage_at": 640}`` to simulate a pricing API outage at order 640 on the first try
(``make demo`` does), and try 2 starts at order 600. ``replay_fixed`` re-drives quarantined orders
someone has released (none in a fresh run).

Needs ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (where errorguard's tables are). The sink is a SQLite
file, ``$ORDERS_SINK_DB`` (default ``/tmp/orders_guarded.db``).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, get_current_context, task

from airflow_errorguard import Backoff, QuarantineReplayOperator, retry_policy_args

SINK_DB = os.environ.get("ORDERS_SINK_DB", "/tmp/orders_guarded.db")
_DROPPED: set[int] = set()


def price(order: dict[str, Any]) -> dict[str, Any]:
    """Stand-in for a pricing API call: drops the first call for 5 % of the orders."""
    if order["id"] % 20 == 7 and order["id"] not in _DROPPED:
        _DROPPED.add(order["id"])
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    return {"id": order["id"], "amount_cents": round(float(order["amount"]) * 100)}


# [START orders_sink]
def upsert_orders(rows: list[dict[str, Any]], context: Any) -> None:
    """Idempotent by key: a batch replayed after a crash between sink and commit changes nothing."""
    with sqlite3.connect(SINK_DB) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, amount_cents INTEGER)")
        conn.executemany("INSERT OR REPLACE INTO orders VALUES (:id, :amount_cents)", rows)


# [END orders_sink]

with DAG(
    dag_id="errorguard_orders_guarded",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 3, "retry_delay": timedelta(seconds=5)},
    params={"pricing_outage_at": Param(None, type=["null", "integer"], description="fault injection")},
):

    @task
    def extract() -> list[dict[str, Any]]:
        return [{"id": i, "amount": "n/a" if i % 50 == 0 else f"{i}.5"} for i in range(1000)]

    # [START guarded_task]
    @task.guarded(
        sink=upsert_orders,
        record_key="id",
        batch_size=100,
        max_quarantine_ratio=0.05,  # more than 5 % bad orders: fail (without retry) with a summary
        in_process_retry=Backoff(base_delay=timedelta(milliseconds=50), max_attempts=3),
        # Airflow 3.3+: retry_policy=ErrorGuardRetryPolicy(...); below, the guard fails fast itself.
        **retry_policy_args(base_delay=timedelta(seconds=2)),
    )
    def clean(order: dict[str, Any]) -> dict[str, Any]:
        context = get_current_context()
        if order["id"] == context["params"]["pricing_outage_at"] and context["ti"].try_number == 1:
            raise TimeoutError("pricing API timed out")  # every in-process attempt of try 1
        return price(order)

    summary = clean(records=extract())  # type: ignore[call-arg]  # records= belongs to the guard
    # [END guarded_task]

    @task
    def report(summary: Any) -> None:
        print(
            f"processed {summary['processed']}, succeeded {summary['succeeded']}, "
            f"quarantined {summary['quarantined']}, retried in-process {summary['retried_in_process']}, "
            f"resumed from {summary['resumed_from']}, {summary['batches']} batches"
        )

    # [START replay]
    replay = QuarantineReplayOperator(
        task_id="replay_fixed",
        process=lambda order: {"id": order["id"], "amount_cents": 0},
        sink=upsert_orders,
        source_dag_id="errorguard_orders_guarded",
        source_task_id="clean",
        max_records_per_second=100,
    )
    # [END replay]

    report(summary) >> replay
