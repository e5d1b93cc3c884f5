"""Guarded processing on real Airflow (``dag.test()``), SQLite and PostgreSQL metadata DBs.

The DAGs are in ``dags/eg_guarded_proof.py``; errorguard's tables are reached through
``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (the metadata DB), outputs land in files under a temp dir.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow  # its DAG attaches the retry policy through retry_policy_args() (3.3+)

DAG_FILE = Path(__file__).parent / "dags" / "eg_guarded_proof.py"
BAD = {i for i in range(1000) if i % 50 == 0}


def _env(env: AirflowEnv, out: Path) -> AirflowEnv:
    extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn, "EG_GUARD_OUT": str(out)}
    return dataclasses.replace(env, env={**env.env, **extra})


def _ids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _quarantine(env: AirflowEnv, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
    return env.query(
        "SELECT record_key, map_index, try_number, status, q.error_category, s.error_type, q.fingerprint, "
        "s.traceback, payload, note FROM errorguard_quarantine q "
        "LEFT JOIN errorguard_error_signature s ON s.signature_key = q.signature_key "
        "WHERE dag_id = :dag AND run_id = :run AND task_id = :task ORDER BY map_index, id",
        dag=dag_id,
        run=run_id,
        task=task_id,
    )


def test_guarded_processing_end_to_end(airflow_backend: AirflowEnv, tmp_path: Path) -> None:
    env = _env(airflow_backend, tmp_path)
    result = env.dag_test(DAG_FILE, "eg_guarded_main")
    tis = result["task_instances"]
    run_id = result["run_id"]
    assert result["state"] == "success", {k: v["state"] for k, v in tis.items()}

    # 1,000 records, 2 % bad, 5 % transient on their first attempt: SUCCESS on try 1.
    assert (tis["clean"]["state"], tis["clean"]["try_number"]) == ("success", 1)
    clean_sink = _ids(tmp_path / "sink-clean--1.txt")
    good = [i for i in range(1000) if i not in BAD]
    assert sorted(clean_sink) == good, "every good record in the sink exactly once"
    calls = Counter(_ids(tmp_path / "calls-clean--1.txt"))
    assert {calls[i] for i in range(1000) if i % 20 == 7} == {2}  # retried in-process once
    assert {calls[i] for i in range(1000) if i % 20 != 7} == {1}

    rows = _quarantine(env, "eg_guarded_main", run_id, "clean")
    assert sorted(int(r["record_key"]) for r in rows) == sorted(BAD), "bad records quarantined once each"
    assert {(r["error_category"], r["error_type"], r["try_number"]) for r in rows} == {
        ("data", "builtins.ValueError", 1)
    }
    assert all(r["fingerprint"] and "ValueError" in r["traceback"] and r["payload"] for r in rows)

    summaries = json.loads((tmp_path / "summaries.json").read_text())
    clean = summaries["clean"]
    assert {k: clean[k] for k in ("processed", "succeeded", "quarantined", "retried_in_process")} == {
        "processed": 1000,
        "succeeded": 980,
        "quarantined": 20,
        "retried_in_process": 50,
    }
    assert (clean["batches"], clean["resumed_from"], clean["status"]) == (10, 0, "success")

    # Try 1 fails at record 170 (batch 150..199 uncommitted); try 2 resumes from the checkpoint.
    assert (tis["resume"]["state"], tis["resume"]["try_number"]) == ("success", 2)
    resume_calls = Counter(_ids(tmp_path / "calls-resume--1.txt"))
    assert {resume_calls[i] for i in range(150) if i % 20 != 7} == {1}
    assert {resume_calls[i] for i in range(150, 170) if i % 20 != 7} == {2}
    assert resume_calls[170] == 3 + 1  # 3 in-process attempts on try 1, then success on try 2
    assert {resume_calls[i] for i in range(171, 300) if i % 20 != 7} == {1}
    resume_sink = _ids(tmp_path / "sink-resume--1.txt")
    assert sorted(resume_sink) == [i for i in range(300) if i % 50 != 0]
    resume = summaries["resume"]
    assert (resume["resumed_from"], resume["processed"], resume["quarantined"]) == (150, 300, 6)
    assert sorted(int(r["record_key"]) for r in _quarantine(env, "eg_guarded_main", run_id, "resume")) == [
        0,
        50,
        100,
        150,
        200,
        250,
    ]

    # Mapped: each map index has its own checkpoint and quarantine scope (same keys in both).
    for index, ids in ((0, range(60)), (1, range(30, 60))):
        assert tis[f"mapped[{index}]"]["state"] == "success"
        assert sorted(_ids(tmp_path / f"sink-mapped-{index}.txt")) == [i for i in ids if i % 50 != 0]
    for index, ids in ((0, range(20)), (1, range(100, 120))):  # @task.guarded expanded over records
        assert tis[f"clean__1[{index}]"]["state"] == "success"
        assert sorted(_ids(tmp_path / f"sink-clean__1-{index}.txt")) == [i for i in ids if i % 50 != 0]
    assert [r["map_index"] for r in _quarantine(env, "eg_guarded_main", run_id, "clean__1")] == [0, 1]
    mapped_rows = _quarantine(env, "eg_guarded_main", run_id, "mapped")
    assert [(r["map_index"], r["record_key"]) for r in mapped_rows] == [(0, "0"), (0, "50"), (1, "50")]
    checkpoints = env.query(
        "SELECT map_index, position FROM errorguard_checkpoint "
        "WHERE dag_id = 'eg_guarded_main' AND run_id = :run AND task_id = 'mapped' ORDER BY map_index",
        run=run_id,
    )
    assert checkpoints == [{"map_index": 0, "position": "60"}, {"map_index": 1, "position": "30"}]

    # Replay of the released records: id % 100 == 0 still fails and goes back to quarantine.
    assert tis["replay"]["state"] == "success"
    replayed_ok = {i for i in BAD if i % 100 != 0}
    assert sorted(_ids(tmp_path / "sink-replay--1.txt")) == sorted(replayed_ok)
    by_key = {int(r["record_key"]): r for r in _quarantine(env, "eg_guarded_main", run_id, "clean")}
    assert {k for k, r in by_key.items() if r["status"] == "replayed"} == replayed_ok
    failed = {k for k, r in by_key.items() if r["status"] == "quarantined"}
    assert failed == {i for i in BAD if i % 100 == 0}
    assert all("still has no amount" in by_key[k]["note"] for k in failed)
    audits = env.query(
        "SELECT action, COUNT(*) AS n FROM errorguard_audit WHERE actor LIKE :actor GROUP BY action",
        actor=f"replay:eg_guarded_main/replay/{run_id}",
    )
    assert {a["action"]: a["n"] for a in audits} == {"replay": 10, "requarantine": 10}


def test_error_budget_breach_fails_on_the_first_try_with_the_summary(
    airflow_backend: AirflowEnv, tmp_path: Path
) -> None:
    env = _env(airflow_backend, tmp_path)
    result = env.dag_test(DAG_FILE, "eg_guarded_budget")
    assert result["state"] == "failed"
    ti = result["task_instances"]["budget"]
    assert (ti["state"], ti["try_number"], ti["max_tries"]) == ("failed", 1, 2)
    message = (tmp_path / "failure-budget-1.txt").read_text()
    assert (
        "error budget exceeded: 5 of 25 records quarantined (20.0%), more than max_quarantine_ratio=0.05"
        in (message)
    )
    summary = json.loads(message.split("summary: ", 1)[1])
    assert (summary["processed"], summary["quarantined"], summary["by_category"]) == (25, 5, {"data": 5})
    assert len(summary["top_fingerprints"]) == 1 and len(summary["samples"]) == 5
    # The first batch's quarantine rows were committed and stay for inspection.
    rows = _quarantine(env, "eg_guarded_budget", result["run_id"], "budget")
    assert sorted(int(r["record_key"]) for r in rows) == [0, 5, 10, 15, 20]
