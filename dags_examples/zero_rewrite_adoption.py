"""
Zero-rewrite adoption: an existing DAG gets errorguard by adding one entry to ``default_args``.

Nothing in the tasks changes. Transient failures (timeouts, resets, 429/5xx, deadlocks) are
retried with jittered exponential backoff that honours ``Retry-After``; permanent ones (bad data,
missing tables, credentials) fail on the first try instead of burning three retries.
(Airflow 3.3+: below, ``retry_policy_args`` attaches no policy and the tasks keep Airflow's own
retries; see docs/compatibility.md.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

# [START zero_rewrite_adoption]
from airflow_errorguard import retry_policy_args

default_args = {
    "owner": "data-eng",
    "retries": 4,
    # {"retry_policy": ErrorGuardRetryPolicy(...)} on Airflow 3.3+; {} below 3.3 (a warning says so).
    **retry_policy_args(base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=30)),
}
# [END zero_rewrite_adoption]


def _try_number() -> int:
    from airflow.sdk import get_current_context

    return int(get_current_context()["ti"].try_number)


with DAG(
    dag_id="errorguard_zero_rewrite",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=default_args,
    tags=["errorguard", "example"],
):

    @task
    def extract() -> list[dict[str, int]]:
        # An existing task, unchanged: its first try hits a timeout, the retry succeeds.
        if _try_number() == 1:
            raise TimeoutError("read timed out after 30 s")
        return [{"id": 1, "amount": 10}, {"id": 2, "amount": 32}]

    @task
    def transform(rows: list[dict[str, int]]) -> int:
        return sum(row["amount"] for row in rows)

    @task
    def validate(total: int) -> None:
        # A data check: retrying cannot change the data, so errorguard fails it at once.
        if total > 40:
            raise ValueError(f"total {total} exceeds the daily limit 40")

    validate(transform(extract()))
