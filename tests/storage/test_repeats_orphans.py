"""Re-runs counted on the open row instead of stored again; orphaned rows found and purged (issue 17 §4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select

from airflow_errorguard.exceptions import ErrorGuardStorageConfigError
from airflow_errorguard.storage.checkpoints import CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.orphans import OrphanRepository
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineFilter, QuarantineItem
from airflow_errorguard.storage.tables import quarantine_table as q


def _items(fingerprint: str = "f00dfeed00000001", keys: range = range(3)) -> list[QuarantineItem]:
    return [
        QuarantineItem(record_key=f"k{i}", payload={"i": i}, error_category="data", fingerprint=fingerprint)
        for i in keys
    ]


def _run(run_id: str, try_number: int = 1) -> TaskIdentity:
    return TaskIdentity(dag_id="orders", task_id="clean", run_id=run_id, try_number=try_number)


def _rows(db: Database) -> list[dict[str, object]]:
    with db.transaction("reading", write=False) as conn:
        stmt = select(q.c.run_id, q.c.record_key, q.c.status, q.c.seen_count, q.c.last_seen_run_id)
        return [dict(m) for m in conn.execute(stmt.order_by(q.c.id)).mappings()]


def test_rerun_counts_open_records_instead_of_storing_them(db: Database) -> None:
    repo = QuarantineRepository(db)
    assert repo.add(_run("r1"), _items()).inserted == 3
    for run in ("r2", "r3", "r4"):
        result = repo.add(_run(run), _items())
        assert (result.inserted, result.duplicates, result.repeated) == (0, 0, 3)
    again = repo.add(_run("r4", try_number=2), _items())  # a retry of run 4: counted once per run
    assert (again.inserted, again.repeated) == (0, 3)
    rows = _rows(db)
    assert len(rows) == 3
    assert {(r["run_id"], r["seen_count"], r["last_seen_run_id"]) for r in rows} == {("r1", 4, "r4")}
    assert repo.count(QuarantineFilter(run_id="r1")) == 3


def test_closed_rows_and_new_failures_are_stored_again(db: Database) -> None:
    repo = QuarantineRepository(db)
    repo.add(_run("r1"), _items())
    first = repo.page(QuarantineFilter(), limit=10).items
    k0 = next(r.id for r in first if r.record_key == "k0")
    repo.discard([k0], actor="tester", note="test data")
    changed = repo.add(_run("r2"), [*_items(keys=range(1, 3)), *_items("0ther0ther0ther0", range(0, 1))])
    # k0: its row is discarded (closed) -> stored for r2; k1, k2: still open, same fingerprint -> counted.
    assert (changed.inserted, changed.repeated) == (1, 2)
    different = repo.add(_run("r3"), _items("d1ffe2e4700000aa", range(1, 2)))
    assert (different.inserted, different.repeated) == (1, 0)  # fails differently now: a new row
    opt_out = repo.add(_run("r4"), _items(), count_repeats=False)
    assert opt_out.inserted == 3
    assert len(_rows(db)) == 3 + 1 + 1 + 3


def _dag_run_table(db: Database) -> Table:
    """A stand-in for Airflow's dag_run (the two columns errorguard reads)."""
    table = Table("dag_run", MetaData(), Column("dag_id", String(250)), Column("run_id", String(250)))
    table.create(db.engine, checkfirst=True)
    with db.transaction("emptying dag_run") as conn:
        conn.execute(table.delete())
    return table


def test_orphans_are_listed_and_purged(db: Database) -> None:
    dag_run = _dag_run_table(db)
    try:
        repo = QuarantineRepository(db)
        repo.add(_run("gone"), _items(keys=range(2)))  # run deleted
        repo.add(_run("old"), _items(keys=range(2, 4)))  # run deleted, but "live" met them again
        repo.add(_run("live"), _items(keys=range(2, 5)))
        checkpoints = CheckpointRepository(db)
        for run in ("gone", "live"):
            key = CheckpointKey.for_task(_run(run), "position", per_run=True)
            checkpoints.save(key, state=None, position="10", expected_version=0)
        checkpoints.save(CheckpointKey("global"), state=None, position="1", expected_version=0)
        with db.transaction("adding runs") as conn:
            conn.execute(insert(dag_run), [{"dag_id": "orders", "run_id": "live"}])
        orphans = OrphanRepository(db)
        counts = orphans.counts()
        assert (counts.quarantine, counts.checkpoints) == ({"quarantined": 2}, 1)
        assert sorted(r["record_key"] for r in orphans.quarantine_rows()) == ["k0", "k1"]
        assert [r["run_id"] for r in orphans.checkpoint_rows()] == ["gone"]
        assert orphans.purge(older_than=db.clock() - timedelta(days=1)).total == 0
        deleted = orphans.purge(actor="tester")
        assert (deleted.quarantine, deleted.checkpoints) == ({"quarantined": 2}, 1)
        assert orphans.counts().total == 0
        assert {r["run_id"] for r in _rows(db)} == {"old", "live"}
        assert CheckpointRepository(db).get(CheckpointKey("global")) is not None
    finally:
        dag_run.drop(db.engine)


def test_orphans_need_airflows_dag_run_table(db: Database) -> None:
    with pytest.raises(ErrorGuardStorageConfigError, match="Airflow's metadata database"):
        OrphanRepository(db).counts()


def test_repeats_of_keys_that_need_quoting_in_an_array_literal(db: Database) -> None:
    keys = ['a"b', "c\\d", "{e,f}", "NULL", " g ", "", "h'i", '\\"', "x" * 200]
    items = [
        QuarantineItem(record_key=key, payload=n, error_category="data", fingerprint="f00dfeed00000001")
        for n, key in enumerate(keys)
    ]
    repo = QuarantineRepository(db)
    assert repo.add(_run("r1"), items).inserted == len(keys)
    again = repo.add(_run("r2"), items)
    assert (again.inserted, again.repeated) == (0, len(keys))
    assert {r["record_key"] for r in _rows(db)} == set(keys)


def test_the_array_literal_reads_back_as_the_keys() -> None:
    from airflow_errorguard.storage.repeats import pg_array_literal

    assert pg_array_literal([]) == "{}"
    assert pg_array_literal(["a", "b c"]) == '{"a","b c"}'
    assert pg_array_literal(['x"y', "z\\w"]) == '{"x\\"y","z\\\\w"}'
