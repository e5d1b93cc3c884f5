"""
``dags_examples/file_inbox.py`` ends as its docstring says (three dag.test() runs over one inbox,
SQLite and PostgreSQL), and docs/guarded-processing.md embeds it verbatim.
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "dags_examples" / "file_inbox.py"
DAG_ID = "errorguard_file_inbox"


def summary_of(env: AirflowEnv, run_id: str) -> dict[str, Any]:
    rows = env.query(
        "SELECT value FROM xcom WHERE dag_id = :d AND run_id = :r AND task_id = 'load_files' "
        "AND key = 'return_value'",
        d=DAG_ID,
        r=run_id,
    )
    assert len(rows) == 1, rows
    value = rows[0]["value"]
    return value if isinstance(value, dict) else json.loads(value)


def run(env: AirflowEnv) -> tuple[dict[str, Any], dict[str, Any]]:
    result = env.dag_test(EXAMPLE, DAG_ID)
    assert (result["state"], result["task_instances"]["load_files"]["try_number"]) == ("success", 1)
    return result, summary_of(env, result["run_id"])


def test_file_inbox_example(airflow_backend: AirflowEnv, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    extra = {
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_backend.sql_alchemy_conn,
        "ERRORGUARD_INBOX": str(inbox),
    }
    env = dataclasses.replace(airflow_backend, env={**airflow_backend.env, **extra})

    first, summary = run(env)
    assert (summary["processed"], summary["succeeded"], summary["skipped"]) == (3, 3, 0)
    totals = "SELECT file, sales, cents FROM eg_example_file_totals ORDER BY file, cents"
    loaded = [
        {"file": "sales-2026-01-01.csv", "sales": 2, "cents": 775},
        {"file": "sales-2026-01-02.csv", "sales": 1, "cents": 1000},
        {"file": "sales-2026-01-03.csv", "sales": 2, "cents": 300},
    ]
    assert env.query(totals) == loaded

    second, summary = run(env)
    assert (summary["processed"], summary["skipped"]) == (0, 3), "the same inbox again: nothing loaded"
    assert sorted(Path(s["path"]).name for s in summary["skipped_files"]) == [r["file"] for r in loaded]
    assert {s["committed_by"] for s in summary["skipped_files"]} == {first["run_id"]}
    assert env.query(totals) == loaded

    (inbox / "sales-2026-01-02.csv").write_text("amount\n10.00\n0.50\n")  # corrected: a new checksum
    (inbox / "sales-2026-01-04.csv").write_text("amount\nn/a\n")  # malformed
    third, summary = run(env)
    assert (summary["processed"], summary["succeeded"], summary["quarantined"], summary["skipped"]) == (
        2,
        1,
        1,
        2,
    )
    assert env.query(totals) == [
        *loaded[:2],
        {"file": "sales-2026-01-02.csv", "sales": 2, "cents": 1050},
        loaded[2],
    ]
    quarantined = env.query(
        "SELECT record_key, error_category FROM errorguard_quarantine WHERE dag_id = :d AND run_id = :r",
        d=DAG_ID,
        r=third["run_id"],
    )
    assert [(Path(q["record_key"]).name, q["error_category"]) for q in quarantined] == [
        ("sales-2026-01-04.csv", "data")
    ]
    committed = env.query("SELECT run_id FROM errorguard_committed_file WHERE dag_id = :d", d=DAG_ID)
    assert sorted(r["run_id"] for r in committed) == sorted([first["run_id"]] * 3 + [third["run_id"]] * 2)
    assert second["run_id"] not in {r["run_id"] for r in committed}


@pytest.mark.unit
def test_guarded_processing_page_embeds_the_file_idempotency_example() -> None:
    blocks = [
        textwrap.dedent(b)
        for b in re.findall(
            r"```python\n(.*?)```", (ROOT / "docs" / "guarded-processing.md").read_text(), re.S
        )
    ]
    marked = re.search(
        r"# \[START file_idempotency\]\n(.*?)# \[END file_idempotency\]", EXAMPLE.read_text(), re.S
    )
    assert marked is not None
    assert any(textwrap.dedent(marked.group(1)).strip() in b for b in blocks), (
        "docs/guarded-processing.md must embed file_idempotency verbatim"
    )
