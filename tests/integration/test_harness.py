"""The test harness itself, on real Apache Airflow 3.

- ``dag.test()`` through the subprocess runner, on SQLite and on PostgreSQL metadata DBs.
- A real api-server + scheduler (LocalExecutor) + dag-processor: a retried task, its per-try
  logs, and the ORM block that task code meets there (and does not meet under ``dag.test()``).
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from tests.harness import AirflowEnv, RealAirflow

ORM_BLOCKED_MESSAGE = "Direct database access via the ORM is not allowed"

DAG_TEST_SOURCE = textwrap.dedent(
    '''
    """DAG for tests/integration/test_harness.py::test_dag_test_runner_reports_tries."""
    from datetime import datetime, timedelta

    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG


    def ok():
        return "ok"


    def boom():
        raise KeyError("errorguard-harness-missing-key")


    def orm_probe():
        # Works under dag.test() (no ORM block there); fails under a real scheduler.
        from airflow.settings import Session
        from sqlalchemy import text

        session = Session()
        try:
            return session.execute(text("SELECT 1")).scalar()
        finally:
            session.close()


    with DAG("eg_harness_dag_test", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
        PythonOperator(task_id="ok", python_callable=ok)
        PythonOperator(task_id="boom", python_callable=boom, retries=1, retry_delay=timedelta(seconds=0))
        PythonOperator(task_id="orm_probe", python_callable=orm_probe)
    '''
)


@pytest.mark.airflow
def test_dag_test_runner_reports_tries(airflow_backend: AirflowEnv) -> None:
    dag_file = airflow_backend.add_dag_file(DAG_TEST_SOURCE, "eg_harness_dag_test.py")
    assert dag_file.parent == airflow_backend.dags_folder

    result = airflow_backend.dag_test(dag_file, "eg_harness_dag_test")

    assert result["dag_id"] == "eg_harness_dag_test"
    assert result["state"] == "failed"
    tis = result["task_instances"]
    assert set(tis) == {"ok", "boom", "orm_probe"}

    assert tis["ok"]["state"] == "success"
    assert tis["ok"]["try_number"] == 1
    assert [t["state"] for t in tis["ok"]["tries"]] == ["success"]

    boom = tis["boom"]
    assert boom["state"] == "failed"
    assert boom["try_number"] == 2
    assert boom["max_tries"] == 1
    # Airflow archives a try that went UP_FOR_RETRY into task_instance_history as "failed"
    # (TaskInstanceHistory.record_ti maps every unfinished state to FAILED).
    assert boom["tries"] == [
        {"try_number": 1, "state": "failed", "retry_delay_override": None, "retry_reason": None},
        {"try_number": 2, "state": "failed", "retry_delay_override": None, "retry_reason": None},
    ]

    # dag.test() runs task code in-process with the ORM available: this passes here and
    # fails under the real scheduler (test_real_airflow_retry_logs_and_orm_block).
    assert tis["orm_probe"]["state"] == "success"

    # The run is really in this backend's metadata DB, readable without importing Airflow.
    assert airflow_backend.task_tries("eg_harness_dag_test", result["run_id"], "boom") == boom["tries"]


REAL_DAGS_SOURCE = textwrap.dedent(
    '''
    """DAGs for tests/integration/test_harness.py::test_real_airflow_retry_logs_and_orm_block."""
    from datetime import datetime, timedelta
    from pathlib import Path

    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    MARKER_DIR = Path({marker_dir!r})


    def succeed():
        (MARKER_DIR / "succeed.ran").write_text("yes")
        return "ok"


    def flaky():
        counter = MARKER_DIR / "flaky.attempts"
        attempt = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(attempt))
        if attempt == 1:
            raise RuntimeError(f"errorguard-harness flaky failure on attempt {{attempt}}")
        return attempt


    def touch_orm():
        from airflow.settings import Session
        from sqlalchemy import text

        session = Session()
        try:
            return session.execute(text("SELECT 1")).scalar()
        finally:
            session.close()


    with DAG("eg_harness_real_retry", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
        PythonOperator(task_id="succeed", python_callable=succeed)
        PythonOperator(
            task_id="flaky", python_callable=flaky, retries=1, retry_delay=timedelta(seconds=1)
        )

    with DAG("eg_harness_real_orm", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
        PythonOperator(task_id="touch_orm", python_callable=touch_orm, retries=0)
    '''
)


@pytest.mark.airflow
@pytest.mark.slow
def test_real_airflow_retry_logs_and_orm_block(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    airflow_db.add_dag_file(REAL_DAGS_SOURCE.format(marker_dir=str(marker_dir)), "eg_harness_real_dags.py")

    af = RealAirflow(airflow_db)
    with af:
        retry_run = af.trigger("eg_harness_real_retry")
        orm_run = af.trigger("eg_harness_real_orm", conf={"note": "orm probe"})

        waited = time.monotonic()
        assert af.wait_for_run("eg_harness_real_retry", retry_run, timeout=300) == "success"
        assert af.wait_for_run("eg_harness_real_orm", orm_run, timeout=300) == "failed"
        af.timings["runs"] = time.monotonic() - waited

        tis = af.task_instances("eg_harness_real_retry", retry_run)
        assert tis["succeed"]["state"] == "success"
        assert tis["succeed"]["try_number"] == 1
        assert tis["flaky"]["state"] == "success"
        assert tis["flaky"]["try_number"] == 2
        assert tis["flaky"]["max_tries"] == 1
        tries = af.task_tries("eg_harness_real_retry", retry_run, "flaky")
        assert [(t["try_number"], t["state"]) for t in tries] == [(1, "failed"), (2, "success")]

        # The task code really ran twice, in the worker processes.
        assert (marker_dir / "flaky.attempts").read_text() == "2"
        assert (marker_dir / "succeed.ran").read_text() == "yes"

        first = af.task_log("eg_harness_real_retry", retry_run, "flaky", 1)
        assert "errorguard-harness flaky failure on attempt 1" in first
        assert "RuntimeError" in first
        second = af.task_log("eg_harness_real_retry", retry_run, "flaky", 2)
        assert "errorguard-harness flaky failure" not in second
        assert any(e.get("event") for e in af.task_log_events("eg_harness_real_retry", retry_run, "flaky", 2))

        assert af.dag_run("eg_harness_real_orm", orm_run)["conf"] == {"note": "orm probe"}
        orm_tis = af.task_instances("eg_harness_real_orm", orm_run)
        assert orm_tis["touch_orm"]["state"] == "failed"
        assert orm_tis["touch_orm"]["try_number"] == 1
        orm_log = af.task_log("eg_harness_real_orm", orm_run, "touch_orm", 1)
        assert ORM_BLOCKED_MESSAGE in orm_log
        assert "RuntimeError" in orm_log

        started = dict(af.processes)

    # __exit__ stopped everything it started (it asserts so itself); double-check here.
    assert all(proc.poll() is not None for proc in started.values())
    timings = {k: round(v, 1) for k, v in af.timings.items()}
    print(f"RealAirflow timings (s): {timings}; orphans: {af.orphans_terminated}; SIGKILL: {af.sigkilled}")
