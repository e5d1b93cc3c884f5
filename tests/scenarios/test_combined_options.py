"""Documented options combined in one task, run with ``dag.test()`` (DAGs: ``dags/eg_scenarios_combo.py``).

Like ``test_user_scenarios.py``, every assertion reads an outcome from the metadata DB (task
instance tries, errorguard's quarantine, the sink's table) or from what the DAG's tasks wrote.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.harness import AirflowEnv
from tests.scenarios.test_user_scenarios import _env, _lines, _quarantine

pytestmark = pytest.mark.airflow

DAG_FILE = Path(__file__).parent / "dags" / "eg_scenarios_combo.py"


def test_fallback_and_load_bisection_in_a_mapped_task_resume_per_map_index(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    env = _env(airflow_db, tmp_path)
    result = env.dag_test(DAG_FILE, "eg_combo_fallback_mapped")
    tis, run_id = result["task_instances"], result["run_id"]
    assert result["state"] == "success", {k: v["state"] for k, v in tis.items()}
    # Map 0 needs no Airflow retry. Map 1: record 12's primary and fallback both fail on try 1, so
    # the primary (transient) error stands, batch 10..14 stays uncommitted and try 2 resumes there.
    assert (tis["quote[0]"]["state"], tis["quote[0]"]["try_number"]) == ("success", 1)
    assert [t["state"] for t in tis["quote[1]"]["tries"]] == ["failed", "success"]
    calls = Counter(_lines(tmp_path / "quote-calls.txt"))
    assert [i for i in range(20) if calls[f"1:{i}:1"]] == list(range(13)), "try 1 stopped at record 12"
    assert not any(calls[f"1:{i}:2"] for i in range(10)), "committed batches of map 1 are not processed again"
    assert sorted(_lines(tmp_path / "fallback-calls.txt")) == [
        "0:13:1",
        "0:3:1",
        "1:12:1",
        "1:12:2",
        "1:13:2",
        "1:3:1",
    ]

    # Sink: every row once; the fallback's outputs loaded next to the live ones, the two rows the
    # table rejects (one of them a fallback output) isolated by bisection, in each map index.
    loaded = env.query("SELECT part, id, source FROM eg_combo_quotes ORDER BY part, id")
    good = [i for i in range(20) if i not in (7, 11, 13)]
    assert [(r["part"], r["id"]) for r in loaded] == [(p, i) for p in (0, 1) for i in good]
    assert {(r["part"], r["id"]) for r in loaded if r["source"] == "cache"} == {(0, 3), (1, 3), (1, 12)}

    rows = _quarantine(env, "eg_combo_fallback_mapped", run_id, "quote")
    got = sorted((r["map_index"], int(r["record_key"]), r["try_number"]) for r in rows)
    assert got == [(0, 7, 1), (0, 11, 1), (0, 13, 1), (1, 7, 1), (1, 11, 2), (1, 13, 2)]
    assert {r["error_category"] for r in rows} == {"data"}
    for r in rows:
        if int(r["record_key"]) == 7:
            assert "negative price" in r["message"]
        else:
            assert "rejected at load time by SqlTableSink('eg_combo_quotes')" in r["reason"]

    summaries = json.loads((tmp_path / "quote-summaries.json").read_text())
    assert [(s["processed"], s["succeeded"], s["quarantined"], s["rejected_at_load"]) for s in summaries] == [
        (20, 17, 3, 2),
        (20, 17, 3, 2),
    ]
    assert [s["resumed_from"] for s in summaries] == [0, 10]
    # Record 13's fallback output was rejected at load: counted quarantined (above), not served;
    # 3 and 12 were served and loaded.
    assert [(s["served_by_fallback"], set(s["fallback_keys"])) for s in summaries] == [
        (1, {"3"}),
        (2, {"3", "12"}),
    ]


def test_frames_row_fallback_retries_in_process_resumes_and_bisects_at_load(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    env = _env(airflow_db, tmp_path)
    result = env.dag_test(DAG_FILE, "eg_combo_frames")
    tis, run_id = result["task_instances"], result["run_id"]
    assert result["state"] == "success", {k: v["state"] for k, v in tis.items()}
    # Try 1 committed chunks 0..29; s33's lookup (row_fallback) stayed down through the in-process
    # retry, so ErrorGuardRetryPolicy retried the task and try 2 re-read from row 30.
    assert [t["state"] for t in tis["load_prices"]["tries"]] == ["failed", "success"]
    assert _lines(tmp_path / "chunk-reads.txt") == ["0:1", "30:2"]
    fallback = Counter(_lines(tmp_path / "row-fallback.txt"))
    assert fallback["s33:1"] == 2, "the in-process retry called row_fallback again"
    assert fallback["s37:2"] == 2, "s37's one flake was retried in-process, not an Airflow retry"
    assert {k.split(":")[0] for k in fallback} == {f"s{i:02d}" for i in (*range(10), *range(30, 40))}

    rows = _quarantine(env, "eg_combo_frames", run_id, "load_prices")
    assert [(r["record_key"], r["try_number"]) for r in rows] == [("s05", 1), ("s15", 1), ("s35", 2)]
    assert "could not convert string to float" in rows[0]["message"]
    assert "rejected at load time by SqlTableSink('eg_combo_prices')" in rows[1]["reason"]
    payloads = env.query(
        "SELECT record_key, payload FROM errorguard_quarantine WHERE dag_id = 'eg_combo_frames' ORDER BY id"
    )
    assert [json.loads(p["payload"]) for p in payloads] == [
        {"sku": "s05", "price": "n/a"},  # the input row of a failed transform
        {"sku": "s15", "cents": -100},  # the output row the table rejected
        {"sku": "s35", "price": "n/a"},
    ]

    summary = json.loads((tmp_path / "prices-summary.json").read_text())
    assert {k: summary[k] for k in ("processed", "succeeded", "quarantined", "rejected_at_load")} == {
        "processed": 40,
        "succeeded": 37,
        "quarantined": 3,
        "rejected_at_load": 1,
    }
    assert (summary["resumed_from"], summary["retried_in_process"]) == (30, 1)

    # The replay by the summary's top fingerprint re-drives the two "n/a" rows only; the row the
    # table rejected (another fingerprint) was released too but stays out of this replay.
    assert json.loads((tmp_path / "prices-replay.json").read_text())["replayed"] == 2
    prices = {r["sku"]: r["cents"] for r in env.query("SELECT sku, cents FROM eg_combo_prices")}
    assert sorted(prices) == [f"s{i:02d}" for i in range(40) if i != 15], "loaded once; s15 not replayed"
    assert (prices["s05"], prices["s35"], prices["s37"]) == (100, 100, 3725)
    statuses = env.query(
        "SELECT record_key, status FROM errorguard_quarantine WHERE dag_id = 'eg_combo_frames' ORDER BY id"
    )
    assert [(r["record_key"], r["status"]) for r in statuses] == [
        ("s05", "replayed"),
        ("s15", "released"),
        ("s35", "replayed"),
    ]
