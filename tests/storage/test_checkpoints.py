"""Checkpoint contract (every backend): compare-and-swap on version, scopes, read-modify-write."""

from __future__ import annotations

import pytest

from airflow_errorguard.exceptions import ErrorGuardCheckpointConflict, ErrorGuardStorageError
from airflow_errorguard.storage.checkpoints import Checkpoint, CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from tests.storage.helpers import FakeClock

TASK = TaskIdentity("etl", "load", "manual__1", try_number=1)


def test_save_is_a_compare_and_swap_on_version(db: Database, clock: FakeClock) -> None:
    repo = CheckpointRepository(db)
    key = CheckpointKey.for_task(TASK, "offsets")
    assert repo.get(key) is None
    first = repo.save(key, state={"offset": 10}, position=10, expected_version=0, updated_by="try 1")
    assert (first.version, first.state, first.position, first.updated_by) == (
        1,
        {"offset": 10},
        "10",
        "try 1",
    )
    created = clock.now
    clock.advance(minutes=1)
    with pytest.raises(ErrorGuardCheckpointConflict) as conflict:
        repo.save(key, state={"offset": 99}, expected_version=0)
    assert (conflict.value.expected, conflict.value.actual) == (0, 1)
    assert "etl/load:offsets" in str(conflict.value) and "errorguard_test" in str(conflict.value)
    assert isinstance(conflict.value, ErrorGuardStorageError) and not conflict.value.transient
    second = repo.save(key, state={"offset": 20}, position="20", expected_version=1)
    assert second.version == 2
    with pytest.raises(ErrorGuardCheckpointConflict, match="expected version 1, found 2"):
        repo.save(key, state={"offset": 15}, expected_version=1)  # a stale writer loses
    stored = repo.get(key)
    assert stored == Checkpoint(key, {"offset": 20}, "20", 2, created, clock.now, None)


def test_scopes_are_distinct_keys(db: Database) -> None:
    repo = CheckpointRepository(db)
    keys = [
        CheckpointKey.for_task(TASK, "c"),
        CheckpointKey.for_task(TASK, "c", per_run=True),
        CheckpointKey.for_task(TaskIdentity("etl", "load", "manual__1", map_index=3), "c"),
        CheckpointKey("c", dag_id="etl"),
        CheckpointKey("c"),
    ]
    for n, key in enumerate(keys):
        repo.save(key, state=n, expected_version=0)
    assert [repo.get(k).state for k in keys] == list(range(5))  # type: ignore[union-attr]
    assert {str(k) for k in keys} == {"etl/load:c", "etl/load/manual__1:c", "etl/load[3]:c", "etl:c", "c"}
    assert len(repo.find(dag_id="etl")) == 4
    assert len(repo.find(dag_id="etl", task_id="load")) == 3


def test_update_retries_until_it_wins_and_delete(db: Database) -> None:
    repo = CheckpointRepository(db)
    key = CheckpointKey("counter")
    calls = []

    def bump(current: Checkpoint | None) -> tuple[dict[str, int], int]:
        calls.append(current.version if current else 0)
        if len(calls) == 1:  # someone else writes between our read and our save
            repo.save(key, state={"n": 100}, expected_version=0)
        count = (current.state["n"] if current else 0) + 1
        return {"n": count}, count

    result = repo.update(key, bump)
    assert calls == [0, 1]
    assert (result.state, result.version, result.position) == ({"n": 101}, 2, "101")
    assert repo.delete(key, expected_version=1) is False
    assert repo.delete(key, expected_version=2) is True
    assert repo.get(key) is None


def test_invalid_keys_and_states_fail_with_clear_messages(db: Database) -> None:
    repo = CheckpointRepository(db)
    with pytest.raises(ValueError, match="checkpoint name"):
        CheckpointKey("")
    with pytest.raises(ValueError, match="needs a dag_id"):
        CheckpointKey("x", task_id="t")
    with pytest.raises(ValueError, match=r"checkpoint c: state must be JSON-serialisable"):
        repo.save(CheckpointKey("c"), state={"when": object()}, expected_version=0)
    with pytest.raises(ValueError, match="expected_version"):
        repo.save(CheckpointKey("c"), state=1, expected_version=-1)
    assert repo.get(CheckpointKey("c")) is None
