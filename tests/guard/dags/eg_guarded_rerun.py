"""DAG of tests/guard/test_guarded_rerun.py: the same input every run, every fifth record bad."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG

from airflow_errorguard import GuardedOperator


def parse(record: dict[str, Any]) -> float:
    return float(record["amount"])


with DAG("eg_guarded_rerun", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    GuardedOperator(
        task_id="load",
        records=[{"id": i, "amount": "n/a" if i % 5 == 0 else str(i)} for i in range(90)],
        process=parse,
        record_key="id",
        batch_size=30,
        max_quarantine_ratio=0.5,
    )
