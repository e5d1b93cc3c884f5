"""The pinned checkpoint writer (the guard's per-batch hot path) on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from airflow_errorguard.exceptions import ErrorGuardAlert
from airflow_errorguard.guard import GuardedRun, GuardOptions, SqlGuardStore
from airflow_errorguard.storage.checkpoint_writer import PinnedCheckpointWriter
from airflow_errorguard.storage.checkpoints import CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.tables.checkpoint import checkpoint_table
from tests.storage.helpers import FakeClock

KEY = CheckpointKey("orders", dag_id="dag", task_id="task", run_id="run")
STATE = {"counts": {"processed": 500}, "note": "naïve ✓"}


def created(db: Database) -> CheckpointRepository:
    repo = CheckpointRepository(db)
    repo.save(KEY, state={"counts": {}}, position=0, expected_version=0, updated_by="try 1")
    return repo


def broken(writer: PinnedCheckpointWriter) -> None:
    """Close the pinned DBAPI connection under the writer, as a dropped connection would."""
    writer._connection.close()


def test_advance_stores_what_the_unit_of_work_stores(db: Database, clock: FakeClock) -> None:
    repo = created(db)
    writer = PinnedCheckpointWriter(db, KEY)
    clock.advance(seconds=30)

    assert writer.advance(state=STATE, position=500, expected_version=1, updated_by="try 2")
    assert writer.advance(state=STATE | {"more": [1]}, position=1000, expected_version=2, updated_by="try 2")
    writer.close()

    found = repo.get(KEY)
    assert found is not None
    assert (found.state, found.position, found.version) == (STATE | {"more": [1]}, "1000", 3)
    assert (found.updated_at, found.updated_by) == (clock.now, "try 2")
    # The usual path continues from where the pinned one left off.
    assert repo.save(KEY, state=STATE, position=1500, expected_version=3).version == 4


def test_a_stale_version_advances_nothing(db: Database) -> None:
    repo = created(db)
    writer = PinnedCheckpointWriter(db, KEY)

    assert not writer.advance(state=STATE, position=9, expected_version=7, updated_by=None)
    # Creating the checkpoint (version 0) is the unit of work's job.
    assert not writer.advance(state=STATE, position=9, expected_version=0, updated_by=None)
    writer.close()

    found = repo.get(KEY)
    assert found is not None and (found.version, found.position) == (1, "0")


def test_each_advance_is_committed_at_once_and_the_pool_stays_transactional(db: Database) -> None:
    repo = created(db)
    writer = PinnedCheckpointWriter(db, KEY)
    assert writer.advance(state=STATE, position=5, expected_version=1, updated_by=None)
    # Another connection sees it while the writer still holds its own: autocommit.
    found = repo.get(KEY)
    assert found is not None and found.version == 2

    # Pooled connections did not inherit autocommit, before or after the writer gave its
    # connection back: a failed transaction still rolls back.
    rolled_back(db)
    writer.close()
    for _ in range(3):  # every connection the pool holds
        rolled_back(db)
    with db.engine.connect() as conn:
        assert conn.execute(select(checkpoint_table.c.position)).scalar_one() == "5"


def rolled_back(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction("test") as conn:
        conn.execute(update(checkpoint_table).values(position="rolled back"))
        raise RuntimeError("roll back")


def test_a_broken_connection_falls_back_and_the_next_advance_reconnects(db: Database) -> None:
    repo = created(db)
    writer = PinnedCheckpointWriter(db, KEY)
    assert writer.advance(state=STATE, position=1, expected_version=1, updated_by=None)

    broken(writer)
    assert not writer.advance(state=STATE, position=2, expected_version=2, updated_by=None)
    found = repo.get(KEY)
    assert found is not None and found.version == 2  # nothing half-written

    assert writer.advance(state=STATE, position=2, expected_version=2, updated_by=None)
    writer.close()
    found = repo.get(KEY)
    assert found is not None and (found.version, found.position) == (3, "2")


def test_state_that_is_not_json_fails_as_on_the_usual_path(db: Database) -> None:
    created(db)
    writer = PinnedCheckpointWriter(db, KEY)
    with pytest.raises(ValueError, match="JSON-serialisable"):
        writer.advance(state={"when": object()}, position=1, expected_version=1, updated_by=None)
    writer.close()


@pytest.mark.unit
def test_an_in_memory_sqlite_database_is_never_pinned() -> None:
    db = Database(get_engine("sqlite://"), conn_id="memory")
    upgrade_in_memory(db)
    created(db)
    writer = PinnedCheckpointWriter(db, KEY)
    assert not writer.enabled
    assert not writer.advance(state=STATE, position=1, expected_version=1, updated_by=None)


def upgrade_in_memory(db: Database) -> None:
    from airflow_errorguard.storage.tables import errorguard_metadata

    errorguard_metadata.create_all(db.engine)


@pytest.mark.postgres
def test_a_connection_killed_by_the_server_falls_back(postgres_storage_url: str) -> None:
    from tests.storage.helpers import empty_tables

    empty_tables(postgres_storage_url)
    db = Database(get_engine(postgres_storage_url), conn_id="pg")
    created(db)
    writer = PinnedCheckpointWriter(db, KEY)
    assert writer.advance(state=STATE, position=1, expected_version=1, updated_by=None)
    pid = writer._connection.get_backend_pid()
    with db.transaction("killing the pinned backend") as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar()

    assert not writer.advance(state=STATE, position=2, expected_version=2, updated_by=None)
    assert writer.advance(state=STATE, position=2, expected_version=2, updated_by=None)
    new_pid = writer._connection.get_backend_pid()
    writer.close()
    # pg_terminate_backend only signals the backend, and a closed connection's backend exits a
    # moment later: wait (bounded) for both to leave pg_stat_activity.
    for _ in range(100):
        with db.transaction("listing backends", write=False) as conn:
            alive = conn.exec_driver_sql(
                f"SELECT count(*) FROM pg_stat_activity WHERE pid IN ({int(pid)}, {int(new_pid)})"
            ).scalar()
        if alive == 0:
            break
        time.sleep(0.1)
    assert alive == 0  # closed, not returned to the pool


# -- through SqlGuardStore ----------------------------------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    upgrade(url)
    return Database(get_engine(url), conn_id="test")


def process(record: int) -> int:
    if record == 47:
        raise ValueError(f"record {record} is bad")
    return record


@pytest.mark.unit
def test_only_batches_without_quarantine_rows_take_the_pinned_path(sqlite_db: Database, mocker: Any) -> None:
    identity = TaskIdentity("dag", "task", "run", try_number=1)
    key = CheckpointKey.for_task(identity, "guarded", per_run=True)
    advance = mocker.spy(PinnedCheckpointWriter, "advance")
    close = mocker.spy(PinnedCheckpointWriter, "close")
    sink: list[int] = []

    summary = GuardedRun(
        process, SqlGuardStore(sqlite_db, identity, key), GuardOptions(batch_size=20), sink=sink.extend
    ).run(lambda position: range(position, 100))

    # Batch 1 creates the checkpoint and batch 3 (record 47) quarantines: both by unit of work.
    assert [c.kwargs["expected_version"] for c in advance.call_args_list] == [1, 3, 4]
    assert advance.spy_return_list == [True, True, True]
    assert close.call_count == 1
    assert summary["quarantined"] == 1 and sink == [n for n in range(100) if n != 47]
    found = CheckpointRepository(sqlite_db).get(key)
    assert found is not None and (found.position, found.version) == ("100", 5)
    assert found.state["counts"]["processed"] == 100
    assert [q.record_key for q in QuarantineRepository(sqlite_db).page(limit=10).items] == ["47"]


@pytest.mark.unit
def test_a_run_survives_its_pinned_connection_breaking(sqlite_db: Database, mocker: Any) -> None:
    identity = TaskIdentity("dag", "task", "run", try_number=1)
    key = CheckpointKey.for_task(identity, "guarded", per_run=True)
    store = SqlGuardStore(sqlite_db, identity, key)
    advance = mocker.spy(PinnedCheckpointWriter, "advance")
    written: list[int] = []

    def sink(outputs: list[int]) -> None:
        written.extend(outputs)
        if len(written) == 60 and store._writer is not None:
            broken(store._writer)

    GuardedRun(lambda r: r, store, GuardOptions(batch_size=20), sink=sink).run(lambda p: range(p, 100))

    assert advance.spy_return_list == [True, False, True, True]  # batch 3 fell back to a unit of work
    found = CheckpointRepository(sqlite_db).get(key)
    assert found is not None and (found.position, found.version) == ("100", 5)
    assert written == list(range(100))


@pytest.mark.unit
def test_the_pinned_connection_is_closed_when_the_run_fails(sqlite_db: Database, mocker: Any) -> None:
    identity = TaskIdentity("dag", "task", "run", try_number=1)
    key = CheckpointKey.for_task(identity, "guarded", per_run=True)
    store = SqlGuardStore(sqlite_db, identity, key)

    def fail_late(record: int) -> int:
        if record == 70:
            raise PermissionError("access denied")  # configuration: alert, no retry
        return record

    run = GuardedRun(fail_late, store, GuardOptions(batch_size=20), sink=lambda _: None)
    with pytest.raises(ErrorGuardAlert) as failed:
        run.run(lambda p: range(p, 100))
    assert isinstance(failed.value.__cause__, PermissionError)
    assert store._writer is not None and store._writer._connection is None
    found = CheckpointRepository(sqlite_db).get(key)
    assert found is not None and found.position == "60"
