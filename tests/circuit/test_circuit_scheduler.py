"""The shared circuit under a REAL scheduler, LocalExecutor and triggerer (PostgreSQL metadata DB).

DAG A's calls to a dead dependency trip the circuit. Then, at the same time: DAG B's sensor
(reschedule mode) and another DAG's deferrable sensor (waiting in the triggerer) hold their downstream
tasks, and a guarded task is rescheduled instead of failing. After the open duration one call is
let through as the probe, succeeds, closes the circuit, and everything completes on its first try.
Task code reaches the circuit through the ``errorguard_default`` connection: the ORM is blocked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.circuit.circuit_helpers import (
    DAG_FILE,
    as_dt,
    circuit_row,
    circuit_vars,
    events,
    live_service,
    reports,
)
from tests.harness import AirflowEnv, RealAirflow

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

#: Long enough for the scheduler to start every waiting task while the circuit is still open.
OPEN_S = 60
WAITERS = ("eg_circuit_consumer", "eg_circuit_consumer_deferrable", "eg_circuit_guarded")


def test_trip_hold_probe_close_under_a_real_scheduler(
    airflow_db_postgres: AirflowEnv, tmp_path: Path
) -> None:
    env = airflow_db_postgres
    env.add_dag_file(DAG_FILE, DAG_FILE.name)
    with live_service() as live_port:
        extra, name = circuit_vars(env, tmp_path, live_port, OPEN_S)
        with RealAirflow(env, extra_env=extra, triggerer=True) as af:
            for dag_id in ("eg_circuit_producer", *WAITERS):
                af.wait_for_dag(dag_id)
            producer = af.trigger("eg_circuit_producer")
            assert af.wait_for_run("eg_circuit_producer", producer, timeout=300) == "success"
            (opened,) = events(env, name)
            assert (opened["from_state"], opened["to_state"]) == ("closed", "open")

            runs = {dag_id: af.trigger(dag_id) for dag_id in WAITERS}
            states = {dag_id: af.wait_for_run(dag_id, run, timeout=600) for dag_id, run in runs.items()}
            failed_logs = {
                f"{d}.{t}": [
                    str(e.get("event"))[:200] + str(e.get("error_detail", ""))[:1500]
                    for e in af.task_log_events(d, r, t, ti["try_number"])
                ][-25:]
                + [
                    line[:300]
                    for line in af.log_paths["scheduler"].read_text(errors="replace").splitlines()
                    if t in line and d in line
                ][-15:]
                for d, r in runs.items()
                for t, ti in af.task_instances(d, r).items()
                if ti["state"] != "success" and ti["try_number"]
            }
            for task_key, lines in failed_logs.items():  # shown by pytest when the test fails
                print(f"--- {task_key}", *lines, sep="\n")
            if failed_logs:
                scheduler_log = af.log_paths["scheduler"].read_text(errors="replace").splitlines()
                print(
                    "--- scheduler", *[x[:400] for x in scheduler_log if "rror" in x or "xception" in x][-40:]
                )
            assert states == dict.fromkeys(WAITERS, "success"), sorted(failed_logs)
            tis = {dag_id: af.task_instances(dag_id, run) for dag_id, run in runs.items()}
            deferrable_tries = af.task_tries(
                "eg_circuit_consumer_deferrable", runs[WAITERS[1]], "wait_for_api"
            )
            log_dir = af.task_log_path(
                "eg_circuit_consumer_deferrable", runs[WAITERS[1]], "wait_for_api", 1
            ).parent
            trigger_logs = {
                p.name: p.read_text(errors="replace") for p in log_dir.iterdir() if "trigger" in p.name
            }

    producer_report = reports(tmp_path, "producer")[-1]
    assert (producer_report["refused"], producer_report["rejected"]) == (3, 2)
    probe_at = as_dt(opened["next_probe_at"])

    # Nothing used a retry: waiting is rescheduling / deferring, not failing.
    for dag_id in WAITERS:
        assert {ti["state"] for ti in tis[dag_id].values()} == {"success"}, tis[dag_id]
        assert {ti["try_number"] for ti in tis[dag_id].values()} == {1}, tis[dag_id]
    assert len(deferrable_tries) == 1

    # Both sensors found the circuit open first and held their downstream task until the probe time.
    pokes = reports(tmp_path, "sensor")
    for dag_id in WAITERS[:2]:
        mine = [p for p in pokes if p["dag_id"] == dag_id]
        assert mine[0]["state"] == "open" and mine[0]["allowed"] is False, mine
    uses = reports(tmp_path, "consumer")
    assert len(uses) == 2 and all(as_dt(u["at"]) >= probe_at for u in uses)
    # The deferrable sensor really waited in the triggerer process (its trigger logs to the task log).
    assert any("is open; next probe at" in text for text in trigger_logs.values()), sorted(trigger_logs)
    # The guarded task did not process anything before the probe time.
    assert as_dt(reports(tmp_path, "guarded")[0]["at"]) >= probe_at

    # One trip, one probe round, one close: the state was shared by every worker and the triggerer.
    transitions = [(e["from_state"], e["to_state"]) for e in events(env, name)]
    assert transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    row = circuit_row(env, name)
    assert row["state"] == "closed" and row["total_failures"] == 3 and row["total_rejected"] >= 2
