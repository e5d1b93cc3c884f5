"""
Poison rows at load time: 2,000 payments go through a guarded task into a table with constraints;
the transform accepts them all, the **database** rejects 3 % of them (a duplicate key, a missing
customer, a non-positive amount).

``load`` ends in SUCCESS on its first try: each rejected batch is split and written again by
halves, in savepoints, until the rejected rows stand alone; they are quarantined with the
database's error as reason (constraint or column, SQLSTATE on PostgreSQL) and every other row is
loaded exactly once, with the checkpoint, in the batch's own transaction.

Needs ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (errorguard's tables); the target table is created in
that database, as ``SqlTableSink`` requires (SQLite or PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, task

from airflow_errorguard import SqlTableSink
from airflow_errorguard.hooks.errorguard import ErrorGuardHook

TABLE = "eg_example_payments"


def payment(n: int) -> dict[str, Any]:
    """Payment *n*; three in 100 carry what the table's constraints reject."""
    customer: str | None = f"customer-{n % 40}"
    amount, key = f"{n % 90 + 1}.25", n
    if n % 100 == 17:
        key = n - 1  # a duplicate of the previous payment
    elif n % 100 == 51:
        customer = None  # NOT NULL customer
    elif n % 100 == 83:
        amount = "-3.00"  # CHECK (amount_cents > 0)
    return {"payment_id": key, "customer": customer, "amount": amount}


with DAG(
    dag_id="errorguard_load_poison_rows",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
):

    @task
    def create_table() -> None:
        engine = ErrorGuardHook().database.engine
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
            conn.exec_driver_sql(
                f"CREATE TABLE {TABLE} (payment_id INTEGER PRIMARY KEY, customer VARCHAR(40) NOT NULL, "
                "amount_cents INTEGER NOT NULL CONSTRAINT amount_positive CHECK (amount_cents > 0))"
            )

    @task
    def extract() -> list[dict[str, Any]]:
        return [payment(n) for n in range(2000)]

    # [START load_bisection]
    @task.guarded(
        sink=SqlTableSink("eg_example_payments"),  # rows the database rejects are isolated
        batch_size=500,
        max_quarantine_ratio=0.05,
        # isolate_sink_errors=False would fail the whole batch instead
    )
    def load(payment: dict[str, Any]) -> dict[str, Any]:
        cents = round(float(payment["amount"]) * 100)
        return {"payment_id": payment["payment_id"], "customer": payment["customer"], "amount_cents": cents}

    summary = load(records=extract())  # type: ignore[call-arg]  # records= belongs to the guard
    # [END load_bisection]

    @task
    def report(summary: Any) -> None:
        print(
            f"processed {summary['processed']}, loaded {summary['succeeded']}, "
            f"rejected at load time {summary['rejected_at_load']}, quarantined {summary['quarantined']}"
        )

    create_table() >> summary
    report(summary)
