"""``Database.pinned_reads`` (every backend): a page's reads share one connection, and stay correct."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, text

from airflow_errorguard.exceptions import ErrorGuardStorageError
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem

TASK = TaskIdentity("etl", "load", "manual__1", try_number=1)


@pytest.fixture
def checkouts(db: Database) -> Iterator[list[int]]:
    """One entry per connection taken from *db*'s pool while the test runs."""
    seen: list[int] = []

    def count(dbapi_conn: object, record: object, proxy: object) -> None:
        seen.append(id(dbapi_conn))

    event.listen(db.engine, "checkout", count)
    yield seen
    event.remove(db.engine, "checkout", count)


def test_reads_in_the_block_take_one_connection(db: Database, checkouts: list[int]) -> None:
    repo = QuarantineRepository(db)
    with db.pinned_reads():
        conns = []
        for _ in range(5):
            with db.transaction("reading", write=False) as conn:
                conns.append(conn)
                assert conn.execute(text("SELECT 1")).scalar() == 1
        assert repo.count() == 0
    assert len({id(c) for c in conns}) == 1
    assert len(checkouts) == 1
    with db.transaction("reading after the block", write=False) as conn:
        assert conn is not conns[0]
    assert len(checkouts) == 2


def test_a_write_in_the_block_is_seen_by_the_reads_after_it(db: Database) -> None:
    repo = QuarantineRepository(db)
    with db.pinned_reads():
        assert repo.count() == 0
        assert repo.add(TASK, [QuarantineItem("r1", {"i": 1}, "data")]).inserted == 1
        assert repo.count() == 1


def test_a_read_inside_a_read_joins_it(db: Database) -> None:
    with db.pinned_reads(), db.transaction("outer", write=False) as outer:
        with db.pinned_reads(), db.transaction("inner", write=False) as inner:
            assert inner is outer
            assert inner.execute(text("SELECT 2")).scalar() == 2
        assert outer.execute(text("SELECT 3")).scalar() == 3


def test_a_failed_read_leaves_the_pinned_connection_usable(db: Database) -> None:
    with db.pinned_reads():
        with (
            pytest.raises(ErrorGuardStorageError, match="reading a missing table"),
            db.transaction("reading a missing table", write=False) as conn,
        ):
            conn.execute(text("SELECT * FROM errorguard_no_such_table"))
        with db.transaction("reading again", write=False) as conn:
            assert conn.execute(text("SELECT 4")).scalar() == 4


def test_another_database_is_not_pinned(db: Database, checkouts: list[int]) -> None:
    other = Database(db.engine.execution_options(), conn_id="other")  # same pool, another engine object
    with db.pinned_reads():
        with db.transaction("pinned", write=False) as pinned:
            pass
        with other.transaction("not pinned", write=False) as conn:
            assert conn is not pinned
    assert len(checkouts) == 2
