"""
Re-running a DAG over the same input (issue 17 §4), with real ``dag.test()`` runs on SQLite and
PostgreSQL: open bad records are counted on their row, not stored again; deleting the runs
leaves orphans the CLI lists and purges.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

DAG_FILE = Path(__file__).parent / "dags" / "eg_guarded_rerun.py"
DAG_ID = "eg_guarded_rerun"
BAD = 18  # ids 0, 5, ..., 85


def _errorguard(env: AirflowEnv, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "errorguard"), "--url", env.sql_alchemy_conn, *argv, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env.env,
        check=False,
    )


def _execute(env: AirflowEnv, statements: list[tuple[str, dict[str, str]]]) -> None:
    engine = create_engine(env.sql_alchemy_conn, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                # Airflow turns SQLite's foreign keys on, so deleting a run cascades to its XComs
                # and the rest; without it a later run that reuses the row id meets stale XComs.
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            for statement, params in statements:
                conn.execute(text(statement), params)
    finally:
        engine.dispose()


def _delete_runs(env: AirflowEnv, run_ids: list[str]) -> None:
    """What deleting the runs in the UI does to the metadata DB (task instances go with them)."""
    where = "WHERE dag_id = :d AND run_id = :r"
    _execute(
        env,
        [
            (f"DELETE FROM {table} {where}", {"d": DAG_ID, "r": run_id})
            for run_id in run_ids
            for table in ("task_instance_history", "task_instance", "dag_run")
        ],
    )


def test_reruns_count_instead_of_storing_and_orphans_are_purged(airflow_backend: AirflowEnv) -> None:
    env = dataclasses.replace(
        airflow_backend,
        env={**airflow_backend.env, "AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_backend.sql_alchemy_conn},
    )
    _execute(
        env,
        [
            (f"DELETE FROM {t} WHERE dag_id = :d", {"d": DAG_ID})
            for t in ("errorguard_quarantine", "errorguard_checkpoint")
        ],
    )
    runs = []
    for _ in range(4):
        result = env.dag_test(DAG_FILE, DAG_ID)
        assert result["state"] == "success", result
        runs.append(result["run_id"])
    rows = env.query(
        "SELECT run_id, record_key, seen_count, last_seen_run_id FROM errorguard_quarantine "
        "WHERE dag_id = :d ORDER BY id",
        d=DAG_ID,
    )
    assert len(rows) == BAD  # 4 runs, the same 18 bad records stored once
    assert {(r["run_id"], r["seen_count"], r["last_seen_run_id"]) for r in rows} == {(runs[0], 4, runs[3])}

    # Runs 1-3 deleted: the rows stay linked to run 4 (not orphaned); their checkpoints are orphans.
    _delete_runs(env, runs[:3])
    listed = _errorguard(env, "orphans", "list")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["counts"]["quarantine"] == {}
    assert sorted(c["run_id"] for c in data["checkpoints"] if c["dag_id"] == DAG_ID) == sorted(runs[:3])

    _delete_runs(env, runs[3:])
    data = json.loads(_errorguard(env, "orphans", "list").stdout)
    assert data["counts"]["quarantine"] == {"quarantined": BAD}
    purged = _errorguard(env, "orphans", "purge", "--yes")
    assert purged.returncode == 0, purged.stderr
    assert json.loads(purged.stdout)["deleted"]["quarantine"] == {"quarantined": BAD}
    assert env.query("SELECT id FROM errorguard_quarantine WHERE dag_id = :d", d=DAG_ID) == []
    assert json.loads(_errorguard(env, "orphans", "list").stdout)["counts"]["checkpoints"] == 0
