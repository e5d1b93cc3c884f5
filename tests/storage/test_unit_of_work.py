"""Unit of work contract (every backend): quarantine rows and checkpoint advance commit together."""

from __future__ import annotations

import pytest

from airflow_errorguard.exceptions import ErrorGuardCheckpointConflict, ErrorGuardStorageError
from airflow_errorguard.storage.checkpoints import CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.unit_of_work import UnitOfWork, run_in_unit_of_work

TASK = TaskIdentity("etl", "load", "manual__1", try_number=1)
KEY = CheckpointKey.for_task(TASK, "offset")


def batch(start: int, n: int) -> list[QuarantineItem]:
    return [QuarantineItem(f"r{i}", {"i": i}, "data") for i in range(start, start + n)]


def advance(uow: UnitOfWork, position: int) -> None:
    current = uow.checkpoints.get(KEY, for_update=True)
    uow.checkpoints.save(
        KEY,
        state={"position": position},
        position=position,
        expected_version=current.version if current else 0,
    )


def test_commit_makes_rows_and_checkpoint_visible_together(db: Database) -> None:
    with UnitOfWork(db) as uow:
        assert uow.quarantine.add(TASK, batch(0, 5)).inserted == 5
        advance(uow, 100)
        assert uow.quarantine.count() == 5  # visible inside the transaction
    assert QuarantineRepository(db).count() == 5
    assert CheckpointRepository(db).get(KEY).position == "100"  # type: ignore[union-attr]


def test_a_failure_inside_rolls_back_rows_and_checkpoint(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.quarantine.add(TASK, batch(0, 2))
        advance(uow, 10)

    class TaskBug(Exception):
        pass

    with pytest.raises(TaskBug), UnitOfWork(db) as uow:
        uow.quarantine.add(TASK, batch(2, 3))
        advance(uow, 20)
        raise TaskBug("the caller's own error propagates unchanged")
    assert QuarantineRepository(db).count() == 2
    assert CheckpointRepository(db).get(KEY).version == 1  # type: ignore[union-attr]


def test_a_checkpoint_conflict_rolls_back_the_batch(db: Database) -> None:
    CheckpointRepository(db).save(KEY, state={}, expected_version=0)
    with pytest.raises(ErrorGuardCheckpointConflict), UnitOfWork(db) as uow:
        uow.quarantine.add(TASK, batch(0, 3))
        uow.checkpoints.save(KEY, state={}, expected_version=0)  # stale: it already exists
    assert QuarantineRepository(db).count() == 0


def test_storage_errors_inside_are_typed_and_roll_back(db: Database) -> None:
    with pytest.raises(ErrorGuardStorageError, match="errorguard_test"), UnitOfWork(db) as uow:
        uow.quarantine.add(TASK, batch(0, 3))
        with uow.transaction("running a broken statement") as conn:
            conn.exec_driver_sql("SELECT * FROM errorguard_no_such_table")
    assert QuarantineRepository(db).count() == 0


def test_run_in_unit_of_work_repeats_transient_failures_only(db: Database) -> None:
    attempts = []

    def work(uow: UnitOfWork) -> int:
        attempts.append(1)
        result = uow.quarantine.add(TASK, batch(0, 3))
        if len(attempts) == 1:
            raise ErrorGuardStorageError("simulated deadlock", conn_id="x", transient=True)
        return result.inserted

    assert run_in_unit_of_work(db, work, backoff=0) == 3  # the first attempt was rolled back
    assert len(attempts) == 2

    def conflicting(uow: UnitOfWork) -> None:
        attempts.append(1)
        uow.checkpoints.save(KEY, state={}, expected_version=5)

    attempts.clear()
    with pytest.raises(ErrorGuardCheckpointConflict):
        run_in_unit_of_work(db, conflicting, backoff=0)
    assert len(attempts) == 1


def test_unit_of_work_misuse(db: Database) -> None:
    uow = UnitOfWork(db)
    with pytest.raises(RuntimeError, match="context manager"):
        uow.quarantine.count()
    with uow, pytest.raises(RuntimeError, match="twice"):
        uow.__enter__()
