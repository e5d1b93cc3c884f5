"""A guarded task whose process is SIGKILLed mid-batch under a REAL scheduler: nothing lost, nothing twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.harness import AirflowEnv, RealAirflow

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG_FILE = Path(__file__).parent / "dags" / "eg_guarded_sigkill.py"
DAG_ID = "eg_guarded_sigkill"


def _ids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()]


def test_sigkilled_task_resumes_from_the_checkpoint(airflow_backend: AirflowEnv, tmp_path: Path) -> None:
    airflow_db = airflow_backend
    airflow_db.add_dag_file(DAG_FILE, DAG_FILE.name)
    extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_db.sql_alchemy_conn, "EG_GUARD_OUT": str(tmp_path)}
    with RealAirflow(airflow_db, extra_env=extra) as af:
        run_id = af.trigger(DAG_ID)
        assert af.wait_for_run(DAG_ID, run_id, timeout=420) == "success"
        ti = af.task_instances(DAG_ID, run_id)["guarded"]
        assert (ti["state"], ti["try_number"]) == ("success", 2)
        tries = af.task_tries(DAG_ID, run_id, "guarded")
        assert [t["state"] for t in tries][-1] == "success" and len(tries) == 2

    # Nothing lost, nothing duplicated in the sink.
    assert sorted(_ids(tmp_path / "sink.txt")) == [i for i in range(500) if i % 50 != 0]
    # Try 2 resumed after the last committed batch (200): only 200..260 ran twice.
    calls = Counter(_ids(tmp_path / "calls.txt"))
    assert {calls[i] for i in range(200)} == {1}
    assert {calls[i] for i in range(200, 261)} == {2}
    assert {calls[i] for i in range(261, 500)} == {1}
    rows = airflow_db.query(
        "SELECT record_key, try_number FROM errorguard_quarantine WHERE dag_id = :dag AND run_id = :run",
        dag=DAG_ID,
        run=run_id,
    )
    assert sorted((int(r["record_key"]), r["try_number"]) for r in rows) == [
        (i, 1 if i < 200 else 2) for i in range(0, 500, 50)
    ]
    checkpoint = airflow_db.query(
        "SELECT position, state FROM errorguard_checkpoint WHERE dag_id = :dag AND run_id = :run",
        dag=DAG_ID,
        run=run_id,
    )
    assert [c["position"] for c in checkpoint] == ["500"]
