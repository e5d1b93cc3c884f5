"""
Killed tasks leave a trace, under a REAL scheduler (LocalExecutor): a task that SIGKILLs itself
(what the OOM killer does) -- once before a successful retry, once for good -- and one that runs
out of its memory rlimit each get an error event of category ``system`` saying how they died,
although the killed process could run neither its callbacks nor the worker-side listener.
The DAG's ``ErrorGuardCallback`` alerts once for each try that failed for good: the SIGKILLed one
through the failure callback errorguard asks the dag-processor to run when the run ends, the
out-of-memory one from the worker; the try a retry fixed alerts nobody.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from airflow_errorguard.alerts.callback import ErrorGuardCallback
from airflow_errorguard.alerts.recording import record_failure
from airflow_errorguard.configured import build_classifier
from airflow_errorguard.exceptions import TaskProcessDied
from airflow_errorguard.hooks.errorguard import ErrorGuardHook
from airflow_errorguard.listeners.killed import DIED
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from tests.alerts.helpers import FakeTI, Recorder, context
from tests.harness import AirflowEnv, RealAirflow

TRY = ("eg_killed", "killed", "r1")

pytestmark = pytest.mark.airflow

DAG = textwrap.dedent(
    '''
    """Tasks that die without reporting (tests/alerts/test_killed_tasks.py)."""
    import os
    import resource
    import signal
    from datetime import datetime, timedelta

    from airflow.sdk import DAG, get_current_context, task

    from airflow_errorguard.alerts import AlertConfig, ErrorGuardCallback
    from airflow_errorguard.alerts.notifiers import FileNotifier

    ALERTS = ErrorGuardCallback(
        notifiers=[FileNotifier(ALERTS_PATH)],
        config=AlertConfig(group_by=("dag", "task", "fingerprint")),
    )


    @task(retries=1, retry_delay=timedelta(seconds=1))
    def killed_then_ok():
        if get_current_context()["ti"].try_number == 1:
            os.kill(os.getpid(), signal.SIGKILL)


    @task(retries=0)
    def killed():
        os.kill(os.getpid(), signal.SIGKILL)


    @task(retries=0)
    def out_of_memory():
        with open("/proc/self/status") as status:
            size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = (size_kb + 256 * 1024) * 1024  # 256 MiB above what the process maps now
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
        hog = bytearray(1 << 30)  # 1 GiB: past the limit
        return len(hog)


    with DAG(
        "eg_killed",
        schedule=None,
        start_date=datetime(2024, 1, 1),
        catchup=False,
        default_args=ALERTS.default_args(),
    ):
        killed_then_ok()
        killed()
        out_of_memory()
    '''
)


@pytest.mark.slow
def test_killed_and_out_of_memory_tries_are_recorded_as_system(
    airflow_db: AirflowEnv, e2e_figures: list[str]
) -> None:
    env = airflow_db
    alerts_path = env.home / "alerts.jsonl"
    env.add_dag_file(f"ALERTS_PATH = {str(alerts_path)!r}\n{DAG}", "eg_killed.py")
    with RealAirflow(env, extra_env={"AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn}) as af:
        run_id = af.trigger("eg_killed")
        assert af.wait_for_run("eg_killed", run_id, timeout=300) == "failed"
        tis = af.task_instances("eg_killed", run_id)
        assert (tis["killed_then_ok"]["state"], tis["killed_then_ok"]["try_number"]) == ("success", 2)
        assert tis["killed"]["state"] == tis["out_of_memory"]["state"] == "failed"
        logs = af.task_log("eg_killed", run_id, "killed", 1)
        rows: list[dict] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # recorded by the scheduler once the run finished
            rows = env.query(
                "SELECT task_id, try_number, error_category, decision, exception_type, exception_message "
                "FROM errorguard_error_event WHERE run_id = :r ORDER BY task_id, try_number",
                r=run_id,
            )
            alerts = _alerts(alerts_path)
            if len(rows) >= 3 and len(alerts) >= 2:  # the killed try's alert: once the run ended
                break
            time.sleep(1)
        while time.monotonic() < deadline and env.query(
            "SELECT id FROM callback WHERE type = 'dag_processor'"
        ):
            time.sleep(1)  # every callback request handed to the dag-processor has been taken
        alerts = _alerts(alerts_path)
        incidents = env.query(
            "SELECT task_id, occurrences, notify_count, suppressed_count FROM errorguard_incident "
            "WHERE dag_id = 'eg_killed' ORDER BY task_id"
        )
    assert "SIGKILL" in logs, "Airflow itself logged the kill"
    by_task = {(r["task_id"], r["try_number"]): r for r in rows}
    assert set(by_task) == {("killed", 1), ("killed_then_ok", 1), ("out_of_memory", 1)}, rows
    assert {r["error_category"] for r in rows} == {"system"}, rows
    for key in (("killed", 1), ("killed_then_ok", 1)):
        assert by_task[key]["exception_type"].endswith("TaskProcessDied"), by_task[key]
        # How it died, as Airflow saw it: the scheduler noticed (the executor reported the try failed
        # while it was running) or, found when the run ended, the process died without reporting.
        message = by_task[key]["exception_message"]
        assert "killed from outside" in message or "died without reporting" in message, by_task[key]
    assert (by_task[("killed", 1)]["decision"], by_task[("killed_then_ok", 1)]["decision"]) == (
        "fail",
        "retry",
    )
    oom = by_task[("out_of_memory", 1)]
    assert oom["exception_type"].endswith(("MemoryError", "TaskProcessDied")), oom
    # One alert per try that failed for good, each from one callback run (an incident seen twice
    # would count a second occurrence or a suppressed notification); none for the fixed try.
    assert sorted((a["task_id"], a["kind"], a["category"]) for a in alerts) == [
        ("killed", "alert", "system"),
        ("out_of_memory", "alert", "system"),
    ], alerts
    killed_alert = next(a for a in alerts if a["task_id"] == "killed")
    assert killed_alert["exception_type"].endswith("TaskProcessDied"), killed_alert
    assert killed_alert["message"] == by_task[("killed", 1)]["exception_message"], killed_alert
    assert [
        (i["task_id"], i["occurrences"], i["notify_count"], i["suppressed_count"]) for i in incidents
    ] == [
        ("killed", 1, 1, 0),
        ("out_of_memory", 1, 1, 0),
    ], incidents
    via = "errorguard's run-end request" if "died without reporting" in killed_alert["message"] else "Airflow"
    e2e_figures.append(f"killed task alert: 1 (failure callback requested by {via}), out_of_memory alert: 1")
    e2e_figures.extend(
        f"killed task {r['task_id']} try {r['try_number']}: {r['error_category']} "
        f"{r['exception_type'].rsplit('.', 1)[-1]}: {(r['exception_message'] or '')[:90]}"
        for r in rows
    )


def _alerts(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("ti", "alerts"), [(FakeTI(*TRY, max_tries=0, state=None), 1), (FakeTI(*TRY, max_tries=1, state=None), 0)]
)  # type: ignore[arg-type]
def test_the_dag_processors_callback_context_is_a_killed_try_not_a_success(
    db: Database, storage_url: str, monkeypatch: pytest.MonkeyPatch, ti: FakeTI, alerts: int
) -> None:
    """
    The dag-processor runs a killed try's failure/retry callbacks with neither the exception nor
    the task instance's state: the callback alerts (a final failure) with the verdict recorded for
    the try by the scheduler side, and never takes it for a success.
    """
    monkeypatch.setenv("AIRFLOW_CONN_EG_KILLED_TEST", storage_url)
    hook = ErrorGuardHook(errorguard_conn_id="eg_killed_test")
    died = TaskProcessDied(f"try 1 ended failed: {DIED}")
    identity = TaskIdentity(*TRY, try_number=1)
    record_failure(hook, identity, build_classifier().classify(died), died, final=False, max_tries=None)
    rec = Recorder()
    ErrorGuardCallback(notifiers=[rec], errorguard_conn_id="eg_killed_test")(context(ti))
    assert len(rec.alerts) == alerts
    if alerts:
        alert = rec.alerts[0]
        assert (alert["category"], alert["message"]) == ("system", str(died))
        assert alert["exception_type"].endswith("TaskProcessDied")
    recorded = hook.events.of_try(identity)
    assert recorded is not None and recorded.outcome == ("failed" if alerts else None), "never a success"
