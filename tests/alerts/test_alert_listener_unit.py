"""The listener's functions on real storage: switch, record once, outcome on success, never raises."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from airflow_errorguard.hooks import runtime
from airflow_errorguard.listeners import failures
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.tables import error_event_table as e
from tests.alerts.helpers import FakeTI

pytestmark = pytest.mark.airflow


def rows(db: Database) -> list[tuple]:
    stmt = select(e.c.task_id, e.c.try_number, e.c.error_category, e.c.decision, e.c.outcome).order_by(e.c.id)
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def test_listener_switch_dedup_and_outcome(
    db: Database, storage_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ERRORGUARD_DEFAULT", storage_url)
    monkeypatch.setattr(runtime, "orm_blocked", lambda: True)  # as in a task process: inline
    ti = FakeTI("plain", "t", "r1", try_number=1, max_tries=1, state="up_for_retry")
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__LISTENER_ENABLED", "False")
    failures.on_task_instance_failed(previous_state=None, task_instance=ti, error=TimeoutError("timed out"))
    assert rows(db) == []
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__LISTENER_ENABLED", "True")
    for _ in range(2):  # the second sighting of the same try is not recorded again
        failures.on_task_instance_failed(
            previous_state=None, task_instance=ti, error=TimeoutError("timed out")
        )
    ti.try_number, ti.state = 2, "success"
    failures.on_task_instance_success(previous_state=None, task_instance=ti)
    ti2 = FakeTI("plain", "u", "r1", state="failed")
    failures.on_task_instance_failed(previous_state=None, task_instance=ti2, error=None)
    assert rows(db) == [("t", 1, "transient", "retry", "success"), ("u", 1, "unknown", "fail", "failed")]


def test_listener_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT", "postgresql://eg:pw@127.0.0.1:1/x?connect_timeout=1"
    )
    ti = FakeTI("plain", "t", "r1")
    failures.on_task_instance_failed(previous_state=None, task_instance=ti, error=ValueError("x"))
    failures.on_task_instance_success(
        previous_state=None, task_instance=FakeTI("plain", "t", "r1", try_number=2)
    )
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__LISTENER_ENABLED", "maybe")  # bad config: logged, not raised
    failures.on_task_instance_failed(previous_state=None, task_instance=ti, error=ValueError("x"))


def test_in_a_server_process_it_records_after_airflows_own_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler calls the hook inside its open transaction: on SQLite an inline write would
    wait for that lock while the scheduler waits for the hook. It must return at once and record
    once the transaction has committed."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    monkeypatch.setenv("AIRFLOW_CONN_ERRORGUARD_DEFAULT", url)
    monkeypatch.setattr(runtime, "orm_blocked", lambda: False)  # a server process
    airflow_side = sqlite3.connect(tmp_path / "shared.db", isolation_level=None)
    airflow_side.execute("BEGIN IMMEDIATE")  # Airflow's session holds the write lock...
    ti = FakeTI("plain", "t", "r1", state="failed")
    failures.on_task_instance_failed(previous_state=None, task_instance=ti, error=TimeoutError("x"))
    (writer,) = [t for t in threading.enumerate() if t.name == "errorguard-listener"]
    assert writer.is_alive(), "...so the listener waits in its own thread, not in the caller"
    airflow_side.execute("COMMIT")
    writer.join(timeout=60)
    airflow_side.close()
    db = Database(get_engine(url))
    assert rows(db) == [("t", 1, "transient", "fail", "failed")]


def test_scheduler_side_messages_become_task_process_died() -> None:
    from airflow_errorguard import classify
    from airflow_errorguard.exceptions import TaskProcessDied
    from airflow_errorguard.listeners.killed import as_exception

    lost = as_exception(
        "Executor LocalExecutor(parallelism=4) reported that the task instance <TaskInstance: d.t r> "
        "finished with state failed, but the task instance's state attribute is queued."
    )
    zombie = as_exception("{'DAG Id': 'd', 'Task Id': 't', 'Run Id': 'r'} heartbeat timeout")
    assert isinstance(lost, TaskProcessDied) and "worker was lost" in str(lost)
    assert isinstance(zombie, TaskProcessDied) and "heartbeat" in str(zombie)
    assert str(classify(lost).category) == "system"
    plain = as_exception("something else")
    assert type(plain) is Exception and str(as_exception(None)) == "task failed"
