"""The released record page names the replay tasks that ran, through the newest DAG runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.ui.conftest import ALPHA, BETA, UiServer
from tests.ui.test_ui_api import get, post

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

RUN = (
    "INSERT INTO dag_run (dag_id, run_id, run_type, run_after, state, clear_number, span_status) "
    "VALUES (:dag_id, :run_id, 'manual', :at, 'success', 0, 'ended')"
)
TI = (
    "INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, try_number, max_tries, pool, "
    "pool_slots, state, operator, start_date, end_date, span_status) VALUES (:id, :task_id, :dag_id, "
    ":run_id, -1, 1, 0, 'default_pool', 1, :state, :operator, :at, :at, 'ended')"
)


@pytest.fixture
def replay_runs(ui_server: UiServer) -> Iterator[None]:
    engine = create_engine(ui_server.env.sql_alchemy_conn, poolclass=NullPool)
    now = datetime.now(UTC)
    runs = [(ALPHA, "eg_replay_old", 3), (ALPHA, "eg_replay_new", 2), (BETA, "eg_replay_beta", 1)]
    tis = [
        (ALPHA, "eg_replay_old", "replay", "QuarantineReplayOperator", 3),
        (ALPHA, "eg_replay_new", "replay", "QuarantineReplayOperator", 2),
        (ALPHA, "eg_replay_new", "not_started", "QuarantineReplayOperator", None),
        (ALPHA, "eg_replay_new", "other", "PythonOperator", 2),
        (BETA, "eg_replay_beta", "replay_b", "QuarantineReplayOperator", 1),
    ]
    with engine.begin() as conn:
        for dag_id, run_id, hours in runs:
            conn.execute(text(RUN), {"dag_id": dag_id, "run_id": run_id, "at": now - timedelta(hours=hours)})
        for dag_id, run_id, task_id, operator, hours in tis:
            started = None if hours is None else now - timedelta(hours=hours)
            values = {"id": str(uuid.uuid4()), "task_id": task_id, "dag_id": dag_id, "run_id": run_id}
            state = "success" if started else None
            conn.execute(text(TI), {**values, "operator": operator, "at": started, "state": state})
    try:
        yield
    finally:
        with engine.begin() as conn:
            for table in ("task_instance", "dag_run"):
                conn.execute(text(f"DELETE FROM {table} WHERE run_id LIKE 'eg_replay_%'"))
        engine.dispose()


def test_released_record_names_the_replay_tasks_that_ran(ui_server: UiServer, replay_runs: None) -> None:
    row = ui_server.ids[ALPHA][-1]
    released = post(ui_server, f"/errorguard/api/quarantine/{row}/release", "alice", {"note": "fixed"})
    assert released.status_code == 200, released.text
    mine = get(ui_server, f"/errorguard/quarantine/{row}", "alice").text
    section = mine[mine.index('class="eg-replay-tasks"') :]
    section = section[: section.index("</ul>")]
    assert "replay" in section and "eg_replay_new" in section  # the newest run it started in
    assert "eg_replay_old" not in section and "not_started" not in section and "other" not in section
    assert BETA not in section  # alice may not read the other DAG
    admin = get(ui_server, f"/errorguard/quarantine/{row}", "admin").text
    tasks = admin[admin.index('class="eg-replay-tasks"') :]
    tasks = tasks[: tasks.index("</ul>")]
    # The record's DAG first, though the other DAG's replay task started later.
    assert 0 < tasks.index(ALPHA) < tasks.index(BETA)
