"""``dags_examples/csv_frames.py`` ends as its docstring says (dag.test(), SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

EXAMPLE = Path(__file__).resolve().parents[2] / "dags_examples" / "csv_frames.py"


def test_csv_frames_example(airflow_backend: AirflowEnv, tmp_path: Path) -> None:
    extra = {
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_backend.sql_alchemy_conn,
        "PRICES_CSV": str(tmp_path / "prices.csv"),
    }
    env = dataclasses.replace(airflow_backend, env={**airflow_backend.env, **extra})
    result = env.dag_test(EXAMPLE, "errorguard_csv_frames")
    load = result["task_instances"]["load"]
    assert (result["state"], load["state"], load["try_number"]) == ("success", "success", 1)

    bad = [n for n in range(5000) if n % 150 in (11, 61, 111)]
    skus = {r["sku"] for r in env.query("SELECT sku FROM eg_example_prices")}
    assert skus == {f"sku-{n}" for n in range(5000) if n not in bad}
    cents = env.query("SELECT price_cents FROM eg_example_prices WHERE sku = 'sku-3'")
    assert cents == [{"price_cents": 499}]
    rows = env.query(
        "SELECT record_key, payload, error_category FROM errorguard_quarantine "
        "WHERE dag_id = 'errorguard_csv_frames' AND run_id = :run",
        run=result["run_id"],
    )
    assert sorted(int(r["record_key"]) for r in rows) == bad
    by_key = {int(r["record_key"]): r for r in rows}
    assert json.loads(by_key[11]["payload"]) == {"sku": "sku-11", "price": "n/a", "valid_from": "2026-12-12"}
    assert {r["error_category"] for r in rows} == {"data"}
