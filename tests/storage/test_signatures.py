"""Error signatures on every backend: stored once, read back whole, purged with their last row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.tables import error_signature_table as sig
from tests.storage.helpers import FakeClock

TASK = TaskIdentity("etl", "load", "manual__1", try_number=1)
STACK = 'Traceback (most recent call last):\n  File "etl.py", line {line}, in parse\n{kind}: '


def failed(k: int, kind: str) -> QuarantineItem:
    message = f"bad value {k}"
    trace = STACK.format(line=7 if kind == "ValueError" else 9, kind=kind) + message + "\n"
    return QuarantineItem(f"k{k}", {"k": k}, "data", f"builtins.{kind}", message, trace, kind, f"{kind} why")


def signatures(db: Database) -> int:
    with db.transaction("counting signatures", write=False) as conn:
        return int(conn.execute(select(func.count()).select_from(sig)).scalar_one())


def test_signatures_are_stored_once_and_read_back_whole(db: Database) -> None:
    repo = QuarantineRepository(db)
    batch = [failed(k, "ValueError" if k % 2 else "TypeError") for k in range(200)]
    assert repo.add(TASK, batch).inserted == 200
    assert repo.add(TaskIdentity("etl", "other", "manual__2"), batch[:10]).inserted == 10
    assert signatures(db) == 2
    by_key = {r.record_key: r for r in repo.page(limit=1000, include_payload=True).items}
    for item in batch:
        row = by_key[item.record_key]
        assert (row.error_type, row.reason, row.traceback) == (item.error_type, item.reason, item.traceback)
        assert row.error_message == item.error_message and row.fingerprint == item.fingerprint
    summary = repo.page(limit=5).items[0]
    assert summary.error_type is not None and summary.reason is not None and summary.traceback is None


def test_a_purge_deletes_the_signatures_no_row_references(db: Database, clock: FakeClock) -> None:
    repo = QuarantineRepository(db)
    repo.add(TASK, [failed(1, "ValueError"), failed(2, "TypeError"), failed(3, "TypeError")])
    rows = {r.record_key: r.id for r in repo.page(limit=10).items}
    repo.discard([rows["k1"], rows["k2"]], actor="bob")
    clock.advance(days=40)
    assert repo.purge(clock.now - timedelta(days=30)) == 2
    assert signatures(db) == 1  # ValueError's went with its last row; TypeError's is still used
    left = repo.get(rows["k3"])
    assert left is not None and left.traceback == failed(3, "TypeError").traceback
