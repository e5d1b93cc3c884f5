"""SqlGuardStore and ErrorGuard on a real SQLite database with errorguard's tables (no Airflow)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text

from airflow_errorguard.exceptions import ErrorGuardCheckpointConflict
from airflow_errorguard.guard import GuardedRun, GuardOptions, SqlGuardStore
from airflow_errorguard.guard.facade import ErrorGuard
from airflow_errorguard.storage.checkpoints import CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository

pytestmark = pytest.mark.unit


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    upgrade(url)
    yield Database(get_engine(url), conn_id="test")


def identity(try_number: int = 1, map_index: int = -1) -> TaskIdentity:
    return TaskIdentity("dag", "task", "run", map_index=map_index, try_number=try_number)


def process(record: dict[str, int]) -> int:
    if record["id"] % 10 == 3:
        raise ValueError(f"bad {record['id']}")
    if record["id"] == 77 and record.get("boom"):
        raise TimeoutError("read timed out")
    return record["id"]


def count(db: Database, sql: str) -> Any:
    with db.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_batches_commit_quarantine_and_checkpoint_together_and_resume(database: Database) -> None:
    records = [{"id": i, "boom": 1} for i in range(100)]
    key = CheckpointKey.for_task(identity(), "guarded", per_run=True)
    sink: list[int] = []
    options = GuardOptions(batch_size=20, record_key="id")

    run1 = GuardedRun(
        process, SqlGuardStore(database, identity(1), key), options, sink=sink.extend, sleep=lambda _: None
    )
    with pytest.raises(TimeoutError):
        run1.run(lambda pos: itertools.islice(records, pos, None))
    assert count(database, "SELECT position FROM errorguard_checkpoint") == "60"
    assert (
        count(database, "SELECT COUNT(*) FROM errorguard_quarantine") == 6
    )  # ids 3..53, batch 60..79 rolled back

    for r in records:
        r.pop("boom")
    run2 = GuardedRun(process, SqlGuardStore(database, identity(2), key), options, sink=sink.extend)
    summary = run2.run(lambda pos: itertools.islice(records, pos, None))

    assert summary["resumed_from"] == 60 and summary["processed"] == 100 and summary["quarantined"] == 10
    assert sorted(sink) == [i for i in range(100) if i % 10 != 3]
    rows = QuarantineRepository(database).page(limit=100).items
    assert sorted((int(r.record_key), r.try_number) for r in rows) == [
        (i, 1 if i < 60 else 2) for i in range(3, 100, 10)
    ]
    checkpoint = CheckpointRepository(database).get(key)
    assert checkpoint is not None and checkpoint.position == "100" and checkpoint.version == 5


def test_without_checkpoint_nothing_resumes_and_quarantine_stays_idempotent(database: Database) -> None:
    records = [{"id": i} for i in range(30)]
    for try_number in (1, 2):
        store = SqlGuardStore(database, identity(try_number), None)
        summary = GuardedRun(process, store, GuardOptions(batch_size=7, record_key="id")).run(
            lambda pos: itertools.islice(records, pos, None)
        )
        assert summary["resumed_from"] == 0 and summary["processed"] == 30
    assert count(database, "SELECT COUNT(*) FROM errorguard_quarantine") == 3
    assert count(database, "SELECT COUNT(*) FROM errorguard_checkpoint") == 0


def test_error_guard_context_object(database: Database) -> None:
    hook: Any = SimpleNamespace(
        database=database,
        payload_policy=None,
        quarantine=QuarantineRepository(database),
        checkpoints=CheckpointRepository(database),
    )
    guard = ErrorGuard(hook, identity(map_index=2))
    assert guard.checkpoint.get(default={"after": 0}) == {"after": 0}
    guard.checkpoint.save({"after": 10}, position=10)
    guard.checkpoint.save({"after": 20}, position=20)
    assert ErrorGuard(hook, identity(map_index=2)).checkpoint.get() == {"after": 20}
    assert ErrorGuard(hook, identity(map_index=3)).checkpoint.get() is None  # own scope per map index

    other = ErrorGuard(hook, identity(map_index=2))
    other.checkpoint.get()
    guard.checkpoint.save({"after": 30})
    with pytest.raises(ErrorGuardCheckpointConflict):
        other.checkpoint.save({"after": 25})

    assert guard.quarantine({"id": 1}, ValueError("bad"), record_key=1) is True
    assert guard.quarantine({"id": 1}, ValueError("bad"), record_key=1) is False
    assert guard.quarantine({"id": 2}, KeyError("amount")) is True
    rows = hook.quarantine.page(limit=10).items
    assert {(r.map_index, r.error_category) for r in rows} == {(2, "data")}

    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise ConnectionResetError(104, "reset")
        return "ok"

    guard.retrier.sleep = lambda _: None
    assert guard.run_with_retry(flaky) == "ok" and len(calls) == 2
