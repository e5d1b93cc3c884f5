"""The alerting example DAG ends as its docstring documents, and docs/alerting.md embeds it verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.harness import AirflowEnv

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "dags_examples" / "alerting_callbacks.py"


@pytest.mark.unit
def test_docs_embed_the_example_verbatim() -> None:
    (section,) = re.findall(
        r"# \[START errorguard_alerting\]\n(.*?)# \[END errorguard_alerting\]", EXAMPLE.read_text(), re.S
    )
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "alerting.md").read_text(), re.S)
    assert any(section.strip() in block for block in blocks)


@pytest.mark.airflow
def test_alerting_example(airflow_db: AirflowEnv) -> None:
    result = airflow_db.dag_test(
        EXAMPLE,
        "errorguard_alerting",
        extra_env={"AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_db.sql_alchemy_conn},
    )
    states = {task: (ti["state"], ti["try_number"]) for task, ti in result["task_instances"].items()}
    assert result["state"] == "failed"
    assert states == {
        "fetch_rates": ("success", 2),
        "load_orders": ("failed", 1),
        "load_customers": ("failed", 1),
    }
    incidents = airflow_db.query(
        "SELECT error_category, occurrences, notify_count, suppressed_count, status FROM errorguard_incident "
        "WHERE dag_id = 'errorguard_alerting'"
    )
    assert incidents == [
        {
            "error_category": "configuration",
            "occurrences": 2,
            "notify_count": 1,
            "suppressed_count": 1,
            "status": "open",
        }
    ]
    events = airflow_db.query(
        "SELECT task_id, try_number, error_category, outcome FROM errorguard_error_event "
        "WHERE run_id = :run ORDER BY task_id",
        run=result["run_id"],
    )
    assert [tuple(e.values()) for e in events] == [
        ("fetch_rates", 1, "transient", "success"),
        ("load_customers", 1, "configuration", "failed"),
        ("load_orders", 1, "configuration", "failed"),
    ]
