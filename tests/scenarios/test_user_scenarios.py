"""Acceptance scenarios: documented patterns combined the way a user would, run with ``dag.test()``.

The DAGs are in ``dags/eg_scenarios.py``. Every assertion reads an outcome from the metadata DB
(task instance tries, errorguard's quarantine, event and circuit tables, the sink's table) or from
what the DAG's own notifier and sinks wrote, never just "no exception".
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

DAG_FILE = Path(__file__).parent / "dags" / "eg_scenarios.py"


def _env(env: AirflowEnv, out: Path) -> AirflowEnv:
    extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn, "EG_SCEN_OUT": str(out)}
    return dataclasses.replace(env, env={**env.env, **extra})


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _alerts(out: Path, dag_id: str) -> list[dict[str, Any]]:
    path = out / "alerts.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [row for row in rows if row["dag_id"] == dag_id]


def _events(env: AirflowEnv, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    return env.query(
        "SELECT task_id, map_index, try_number, error_category, decision, rule, exception_type "
        "FROM errorguard_error_event WHERE dag_id = :dag AND run_id = :run "
        "ORDER BY task_id, map_index, try_number",
        dag=dag_id,
        run=run_id,
    )


def _quarantine(env: AirflowEnv, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
    return env.query(
        "SELECT record_key, map_index, try_number, q.error_category, error_message AS message, s.reason "
        "FROM errorguard_quarantine q "
        "LEFT JOIN errorguard_error_signature s ON s.signature_key = q.signature_key "
        "WHERE dag_id = :dag AND run_id = :run AND task_id = :task ORDER BY map_index, q.id",
        dag=dag_id,
        run=run_id,
        task=task_id,
    )


PROCESS_BAD = {n for n in range(200) if n % 40 == 5}
LOAD_BAD = {n for n in range(200) if n % 50 in (20, 30)}


def test_sink_with_process_and_load_failures_resumes_after_a_committed_batch(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    env = _env(airflow_db, tmp_path)
    result = env.dag_test(DAG_FILE, "eg_scen_sink")
    tis, run_id = result["task_instances"], result["run_id"]
    assert result["state"] == "success", {k: v["state"] for k, v in tis.items()}
    # Try 1 committed batches 0..99, then the sink's batch 100..149 timed out before its commit:
    # ErrorGuardRetryPolicy retried it (transient) and try 2 resumed at 100.
    tries = tis["load"]["tries"]
    assert [t["state"] for t in tries] == ["failed", "success"]  # try 1 archived as failed
    assert "TimeoutError" in tries[0]["retry_reason"] and "retry 1/1" in tries[0]["retry_reason"]

    loaded = [r["id"] for r in env.query("SELECT id FROM eg_scen_orders ORDER BY id")]
    good = sorted(set(range(200)) - PROCESS_BAD - LOAD_BAD)
    assert loaded == good, "every good row loaded exactly once"

    calls = Counter(int(c) for c in _lines(tmp_path / "calls.txt"))
    assert calls[33] == 2, "transient error on record 33 retried in-process once"
    assert {calls[n] for n in range(100) if n != 33} == {1}, "committed batches are not processed again"
    assert {calls[n] for n in range(100, 150)} == {2}, "the uncommitted batch is processed again"
    assert {calls[n] for n in range(150, 200)} == {1}

    rows = _quarantine(env, "eg_scen_sink", run_id, "load")
    keys = Counter(int(r["record_key"]) for r in rows)
    assert set(keys) == PROCESS_BAD | LOAD_BAD and set(keys.values()) == {1}, "bad rows quarantined once"
    assert {r["error_category"] for r in rows} == {"data"}
    by_key = {int(r["record_key"]): r for r in rows}
    assert all(
        "rejected at load time by" in f"{by_key[k]['message']} {by_key[k]['reason']}" for k in LOAD_BAD
    )
    assert all("EURO" in by_key[k]["message"] for k in PROCESS_BAD)

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {k: summary[k] for k in ("status", "processed", "quarantined", "rejected_at_load")} == {
        "status": "success",
        "processed": 200,
        "quarantined": len(PROCESS_BAD | LOAD_BAD),
        "rejected_at_load": len(LOAD_BAD),
    }
    assert summary["succeeded"] + summary["quarantined"] == summary["processed"]
    assert summary["succeeded"] == len(loaded)
    assert (summary["retried_in_process"], summary["resumed_from"]) == (1, 100)
    assert summary["by_category"] == {"data": len(PROCESS_BAD | LOAD_BAD)}
    # The transient failure of try 1 was retried without an alert.
    assert _alerts(tmp_path, "eg_scen_sink") == []
    assert [
        (e["try_number"], e["error_category"], e["decision"]) for e in _events(env, "eg_scen_sink", run_id)
    ] == [(1, "transient", "retry")]

    # Fix upstream, release, replay into the same table: exactly once, the still-bad rows go back.
    replay = env.dag_test(DAG_FILE, "eg_scen_replay")
    assert replay["state"] == "success", {k: v["state"] for k, v in replay["task_instances"].items()}
    check_bad = {n for n in LOAD_BAD if n % 50 == 30}  # amount still negative after the fix
    loaded = [r["id"] for r in env.query("SELECT id FROM eg_scen_orders ORDER BY id")]
    assert loaded == sorted(set(range(200)) - check_bad), "replayed rows loaded once, next to the others"
    fixed = env.query("SELECT customer FROM eg_scen_orders WHERE id IN (20, 70, 120, 170)")
    assert {r["customer"] for r in fixed} == {"c-fixed"}
    statuses = {
        int(r["record_key"]): r["status"]
        for r in env.query(
            "SELECT record_key, status FROM errorguard_quarantine "
            "WHERE dag_id = 'eg_scen_sink' AND run_id = :run",
            run=run_id,
        )
    }
    assert {k for k, v in statuses.items() if v == "quarantined"} == check_bad
    assert {k for k, v in statuses.items() if v == "replayed"} == (PROCESS_BAD | LOAD_BAD) - check_bad
    replay_summary = json.loads((tmp_path / "replay-summary.json").read_text())
    assert (replay_summary["replayed"], replay_summary["failed"]) == (9, 4)


def test_shared_circuit_config_error_fails_fast_and_trips_hold_the_other_dag(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    env = _env(airflow_db, tmp_path)
    a = env.dag_test(DAG_FILE, "eg_scen_circuit_a")
    tis = a["task_instances"]
    # The bad role is a configuration error: failed on try 1 of 4, no retry burned, one alert.
    assert (tis["bad_credentials"]["state"], tis["bad_credentials"]["try_number"]) == ("failed", 1)
    assert tis["bad_credentials"]["max_tries"] == 3
    events = _events(env, "eg_scen_circuit_a", a["run_id"])
    config = [e for e in events if e["task_id"] == "bad_credentials"]
    assert [(e["error_category"], e["decision"]) for e in config] == [("configuration", "fail")]
    config_alerts = [x for x in _alerts(tmp_path, "eg_scen_circuit_a") if x["task_id"] == "bad_credentials"]
    assert [(x["kind"], x["category"]) for x in config_alerts] == [("alert", "configuration")]
    # The three connection refusals (transient, counted) trip the shared circuit.
    assert {tis[f"push[{i}]"]["state"] for i in range(3)} == {"failed"}
    [circuit] = env.query("SELECT state, trip_count FROM errorguard_circuit WHERE name = 'eg_scen_warehouse'")
    assert (circuit["state"], circuit["trip_count"]) == ("open", 1)
    transitions = env.query(
        "SELECT from_state, to_state, dag_id FROM errorguard_circuit_event "
        "WHERE circuit_name = 'eg_scen_warehouse' ORDER BY id"
    )
    assert [(t["from_state"], t["to_state"]) for t in transitions] == [("closed", "open")]
    assert transitions[0]["dag_id"] == "eg_scen_circuit_a"

    # Two refusals alert once (one incident, the second suppressed); the third call was rejected
    # by the open circuit, and its failure is folded into the circuit's incident (the map indexes
    # run in no fixed order).
    push = sorted(str(e["exception_type"]) for e in events if e["task_id"] == "push")
    assert push == [
        "ConnectionRefusedError",
        "ConnectionRefusedError",
        "airflow_errorguard.exceptions.CircuitOpenError",
    ]
    push_alerts = [x for x in _alerts(tmp_path, "eg_scen_circuit_a") if x["task_id"] == "push"]
    assert sorted((x["exception_type"], x["incident_key"].split("|")[0]) for x in push_alerts) == [
        ("ConnectionRefusedError", "dag=eg_scen_circuit_a"),
        ("airflow_errorguard.exceptions.CircuitOpenError", "circuit=eg_scen_warehouse"),
    ]

    # Another DAG waits on the same circuit: the sensor times out softly, the guarded task never runs.
    b = env.dag_test(DAG_FILE, "eg_scen_circuit_b")
    tis_b = b["task_instances"]
    assert tis_b["wait_for_warehouse"]["state"] == "skipped"
    assert tis_b["sync"]["state"] == "skipped"
    assert not (tmp_path / "sync-calls.txt").exists()
    assert _events(env, "eg_scen_circuit_b", b["run_id"]) == []
    assert _alerts(tmp_path, "eg_scen_circuit_b") == []


def test_mapped_guarded_task_with_custom_rules_and_the_alert_agreeing(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    env = _env(airflow_db, tmp_path)
    result = env.dag_test(DAG_FILE, "eg_scen_mapped_rules")
    tis, run_id = result["task_instances"], result["run_id"]
    assert result["state"] == "failed"
    # Map index 0: the rule makes "legacy glitch" a data error -> quarantined, task succeeds.
    assert (tis["enrich[0]"]["state"], tis["enrich[0]"]["try_number"]) == ("success", 1)
    glitches = {i for i in range(30) if i % 7 == 3}
    assert sorted(int(x) for x in _lines(tmp_path / "mapped-sink-0.txt")) == sorted(set(range(30)) - glitches)
    rows = _quarantine(env, "eg_scen_mapped_rules", run_id, "enrich")
    assert sorted((r["map_index"], int(r["record_key"])) for r in rows) == [(0, i) for i in sorted(glitches)]
    assert {r["error_category"] for r in rows} == {"data"}
    # Map index 1: the other rule makes "tenant ... is disabled" a configuration error: fails at
    # once, no retry, with the first batch (100..109) delivered and nothing after it.
    assert (tis["enrich[1]"]["state"], tis["enrich[1]"]["try_number"]) == ("failed", 1)
    assert sorted(int(x) for x in _lines(tmp_path / "mapped-sink-1.txt")) == list(range(100, 110))
    # Map index 2: a transient error outlasting the in-process retries fails try 1 after batch
    # 200..209 committed; the default_args policy (deciding with the task's classifier) retries
    # it and try 2 resumes from that map index's own checkpoint.
    assert [t["state"] for t in tis["enrich[2]"]["tries"]] == ["failed", "success"]
    sink_2 = Counter(int(x) for x in _lines(tmp_path / "mapped-sink-2.txt"))
    assert sorted(sink_2) == list(range(200, 230)) and set(sink_2.values()) == {1}
    events = _events(env, "eg_scen_mapped_rules", run_id)
    assert [
        (e["map_index"], e["try_number"], e["error_category"], e["decision"], e["rule"]) for e in events
    ] == [
        (1, 1, "configuration", "fail", "user:tenant-disabled-is-config"),
        (2, 1, "transient", "retry", "builtin:errno:ECONNRESET"),
    ]
    alerts = _alerts(tmp_path, "eg_scen_mapped_rules")
    assert [(x["map_index"], x["category"], x["rule"]) for x in alerts] == [
        (1, "configuration", "user:tenant-disabled-is-config")
    ]


RULES_FILE = """\
rules:
  - name: quota-drained
    message: "quota bucket drained"
    category: transient
    max_retries: 1
  - name: poison-marker
    message: "poison marker"
    category: data
"""


def test_rules_file_reaches_the_engine_the_retry_policy_and_the_alert(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_FILE)
    env = _env(airflow_db, tmp_path)
    result = env.dag_test(
        DAG_FILE, "eg_scen_rules_file", extra_env={"AIRFLOW__ERRORGUARD__RULES_FILE": str(rules)}
    )
    tis, run_id = result["task_instances"], result["run_id"]
    assert result["state"] == "failed"
    # The rule's max_retries=1 caps the transient retries below the task's retries=3.
    quota = tis["call_quota_api"]
    assert (quota["state"], quota["try_number"], quota["max_tries"]) == ("failed", 2, 3)
    assert _lines(tmp_path / "quota-calls.txt") == ["1", "2"]
    events = [e for e in _events(env, "eg_scen_rules_file", run_id) if e["task_id"] == "call_quota_api"]
    assert [(e["try_number"], e["error_category"], e["decision"], e["rule"]) for e in events] == [
        (1, "transient", "retry", "user:quota-drained"),
        (2, "transient", "fail", "user:quota-drained"),
    ]
    # One alert, for the try that failed for good, with the file's verdict.
    alerts = _alerts(tmp_path, "eg_scen_rules_file")
    assert [(x["task_id"], x["try_number"], x["category"], x["rule"]) for x in alerts] == [
        ("call_quota_api", 2, "transient", "user:quota-drained")
    ]
    # The guarded task quarantines what the file calls data, without retrying it.
    assert (tis["parse"]["state"], tis["parse"]["try_number"]) == ("success", 1)
    rows = _quarantine(env, "eg_scen_rules_file", run_id, "parse")
    assert sorted(int(r["record_key"]) for r in rows) == [i for i in range(20) if i % 4 == 1]
    assert {r["error_category"] for r in rows} == {"data"}
    summary = json.loads((tmp_path / "rules-summary.json").read_text())
    assert (summary["processed"], summary["quarantined"], summary["retried_in_process"]) == (20, 5, 0)
