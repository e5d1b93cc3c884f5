"""Task code writes errorguard's tables through the hook under a REAL scheduler (not dag.test()).

The task runs in a LocalExecutor worker with Airflow's metadata ORM blocked; errorguard reaches
the same database through ``AIRFLOW_CONN_ERRORGUARD_DEFAULT``. That the ORM itself fails there is
shown by ``tests/integration/test_harness.py::test_real_airflow_retry_logs_and_orm_block``.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.harness import AirflowEnv, RealAirflow

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAGS = textwrap.dedent(
    '''
    """DAGs for tests/storage/test_real_scheduler.py."""
    import json
    from datetime import datetime, timedelta
    from pathlib import Path

    from airflow.sdk import DAG, get_current_context, task

    MARKERS = Path({markers!r})


    @task(retries=1, retry_delay=timedelta(seconds=1))
    def write_batch():
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook
        from airflow_errorguard.hooks.runtime import orm_blocked
        from airflow_errorguard.storage import CheckpointKey, ErrorEvent, QuarantineItem, TaskIdentity

        context = get_current_context()
        identity = TaskIdentity.from_context(context)
        hook = ErrorGuardHook()
        key = CheckpointKey.for_task(identity, "offset")
        bad = [
            QuarantineItem.from_exception(f"order-{{i}}", {{"id": i}}, ValueError(f"bad {{i}}"))
            for i in range(5)
        ]
        with hook.unit_of_work() as uow:
            result = uow.quarantine.add(identity, bad)
            current = uow.checkpoints.get(key, for_update=True)
            uow.checkpoints.save(
                key,
                state={{"last_try": identity.try_number}},
                position=identity.try_number * 100,
                expected_version=current.version if current else 0,
            )
        hook.events.append(ErrorEvent(identity=identity, error_category="data", action="quarantine"))
        marker = {{
            "try": identity.try_number,
            "inserted": result.inserted,
            "duplicates": result.duplicates,
            "orm_blocked": orm_blocked(),
            "source": hook.source,
        }}
        (MARKERS / f"write_batch.{{identity.try_number}}.json").write_text(json.dumps(marker))
        if identity.try_number == 1:
            raise RuntimeError("errorguard-storage: failing after the commit, to be retried")


    @task(retries=0)
    def no_connection():
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook

        ErrorGuardHook(errorguard_conn_id="errorguard_missing").quarantine.count()


    with DAG("eg_storage_real_write", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
        write_batch()

    with DAG("eg_storage_real_noconn", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
        no_connection()
    '''
)


def test_task_writes_through_the_hook_under_a_real_scheduler(
    airflow_backend: AirflowEnv, tmp_path: Path
) -> None:
    env = airflow_backend
    markers = tmp_path / "markers"
    markers.mkdir()
    env.add_dag_file(DAGS.format(markers=str(markers)), "eg_storage_real_dags.py")
    with RealAirflow(env, extra_env={"AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn}) as af:
        write_run = af.trigger("eg_storage_real_write")
        noconn_run = af.trigger("eg_storage_real_noconn")
        assert af.wait_for_run("eg_storage_real_write", write_run, timeout=300) == "success"
        assert af.wait_for_run("eg_storage_real_noconn", noconn_run, timeout=300) == "failed"
        write_ti = af.task_instances("eg_storage_real_write", write_run)["write_batch"]
        assert (write_ti["state"], write_ti["try_number"]) == ("success", 2)
        noconn_log = af.task_log("eg_storage_real_noconn", noconn_run, "no_connection", 1)

    tries = [json.loads((markers / f"write_batch.{n}.json").read_text()) for n in (1, 2)]
    # Both tries ran in a worker with the ORM blocked, and wrote through the connection.
    assert all(t["orm_blocked"] and t["source"] == "connection" for t in tries)
    # The retry re-submitted the same records: not one duplicate.
    assert [(t["inserted"], t["duplicates"]) for t in tries] == [(5, 0), (0, 5)]
    rows = env.query(
        "SELECT record_key, try_number, status, error_category FROM errorguard_quarantine "
        "WHERE dag_id = :dag AND run_id = :run ORDER BY record_key",
        dag="eg_storage_real_write",
        run=write_run,
    )
    assert [r["record_key"] for r in rows] == [f"order-{i}" for i in range(5)]
    assert {(r["try_number"], r["status"], r["error_category"]) for r in rows} == {(1, "quarantined", "data")}
    checkpoint = env.query(
        "SELECT version, position FROM errorguard_checkpoint WHERE dag_id = 'eg_storage_real_write'"
    )
    assert checkpoint == [{"version": 2, "position": "200"}]
    events = env.query(
        "SELECT try_number FROM errorguard_error_event WHERE run_id = :run ORDER BY try_number", run=write_run
    )
    assert [e["try_number"] for e in events] == [1, 2]
    # Without a connection, the task fails saying exactly what to set (never touching the ORM).
    assert "ErrorGuardStorageConfigError" in noconn_log
    assert "AIRFLOW_CONN_ERRORGUARD_MISSING=" in noconn_log
