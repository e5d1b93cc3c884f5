"""SqlTableSink (exactly-once with the batch commit) and SqlRecords (resumable SQL source), no Airflow run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from airflow_errorguard.exceptions import ErrorGuardCheckpointConflict, ErrorGuardConfigError
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore, SqlGuardStore
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.sources import SqlRecords
from airflow_errorguard.storage.checkpoints import CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade

pytestmark = pytest.mark.unit
IDENTITY = TaskIdentity("dag", "task", "run", try_number=1)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    upgrade(url)
    db = Database(get_engine(url), conn_id="test")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE out_rows (id INTEGER NOT NULL, double INTEGER)"))
    yield db


def out_ids(db: Database) -> list[int]:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM out_rows ORDER BY id"))]


def double(record: int) -> dict[str, int]:
    if record % 10 == 3:
        raise ValueError(f"bad {record}")
    return {"id": record, "double": record * 2}


def test_a_failed_commit_takes_the_sink_rows_with_it(database: Database) -> None:
    key = CheckpointKey.for_task(IDENTITY, "guarded", per_run=True)
    store = SqlGuardStore(database, IDENTITY, key)
    run = GuardedRun(double, store, GuardOptions(batch_size=10), sink=SqlTableSink("out_rows"))

    calls = {"n": 0}

    def stream(position: int) -> Iterator[int]:
        for record in range(position, 30):
            if record == 10 and calls["n"] == 0:
                # Someone else advanced the checkpoint: batch 0's commit must fail as a whole.
                CheckpointRepository(database).save(key, state={}, position=99, expected_version=1)
                calls["n"] += 1
            yield record

    with pytest.raises(ErrorGuardCheckpointConflict, match="expected version 1, found 2"):
        run.run(stream)
    # Batch 0 committed with its checkpoint; batch 1's commit failed, and its sink rows went with it.
    assert out_ids(database) == [0, 1, 2, 4, 5, 6, 7, 8, 9]


def test_sink_rows_commit_exactly_once_across_a_retry(database: Database) -> None:
    key = CheckpointKey.for_task(IDENTITY, "guarded", per_run=True)
    failing = {"armed": True}

    class DyingSink(SqlTableSink):
        def write(self, connection: object, outputs: list[dict[str, int]]) -> None:
            super().write(connection, outputs)
            if failing["armed"] and outputs[0]["id"] >= 20:
                failing["armed"] = False
                raise TimeoutError("lost between the sink write and the commit")

    options = GuardOptions(batch_size=10, max_quarantine_ratio=0.5)
    with pytest.raises(TimeoutError):
        GuardedRun(double, SqlGuardStore(database, IDENTITY, key), options, sink=DyingSink("out_rows")).run(
            lambda position: range(position, 50)
        )
    assert out_ids(database) == [i for i in range(20) if i % 10 != 3]
    summary = GuardedRun(
        double, SqlGuardStore(database, IDENTITY, key), options, sink=DyingSink("out_rows")
    ).run(lambda position: range(position, 50))
    assert summary["resumed_from"] == 20
    assert out_ids(database) == [i for i in range(50) if i % 10 != 3], "every row exactly once"


def test_memory_store_hands_the_batch_to_a_transactional_sink() -> None:
    written: list[list[dict[str, int]]] = []

    class Recording(SqlTableSink):
        def write(self, connection: object, outputs: list[dict[str, int]]) -> None:
            written.append(outputs)

    GuardedRun(double, MemoryGuardStore(), GuardOptions(batch_size=4), sink=Recording("t")).run(
        lambda position: range(position, 10)
    )
    assert [[o["id"] for o in batch] for batch in written] == [[0, 1, 2], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("name", ["orders; DROP TABLE x", "1table", "", "a.b", "x" * 64])
def test_sink_rejects_anything_but_a_plain_identifier(name: str) -> None:
    with pytest.raises(ErrorGuardConfigError, match="plain SQL identifier"):
        SqlTableSink(name)


def test_sink_refuses_outputs_that_do_not_fit_its_columns(database: Database) -> None:
    sink = SqlTableSink("out_rows", columns=["id"])
    with (
        database.engine.begin() as conn,
        pytest.raises(ValueError, match=r"output 1 does not fit.*\['double'\]"),
    ):
        sink.write(conn, [{"id": 1}, {"id": 2, "double": 4}])
    with database.engine.begin() as conn, pytest.raises(TypeError, match="must be mappings"):
        sink.write(conn, [(1, 2)])


@pytest.mark.parametrize("order_by", ["id; DELETE FROM t", "id desc nulls first", "(select 1)", "id,"])
def test_source_order_by_must_be_column_names(order_by: str) -> None:
    with pytest.raises(ErrorGuardConfigError, match="order_by must be column names"):
        SqlRecords("src", "SELECT 1", order_by=order_by)


def test_source_validates_its_arguments() -> None:
    with pytest.raises(ErrorGuardConfigError, match="non-empty SELECT"):
        SqlRecords("src", "  ")
    with pytest.raises(ErrorGuardConfigError, match="fetch_size"):
        SqlRecords("src", "SELECT 1", fetch_size=0)
    with pytest.raises(ValueError, match="without order_by"):
        SqlRecords("src", "SELECT 1").statement(5)


def test_source_skips_committed_rows_in_the_database() -> None:
    source = SqlRecords("src", "SELECT id FROM t WHERE a = :a;", order_by="id DESC, t2.x")
    pg = str(source.statement(40).compile(dialect=postgresql.dialect()))
    assert pg.startswith("SELECT * \nFROM (SELECT id FROM t WHERE a = %(a)s) AS errorguard_source")
    assert "ORDER BY id DESC, t2.x" in pg and "OFFSET" in pg
    lite = str(source.statement(40).compile(dialect=sqlite.dialect()))
    assert "LIMIT ? OFFSET ?" in lite  # SQLite needs a LIMIT (-1, bound) before OFFSET
    assert "OFFSET" not in str(source.statement(0).compile(dialect=postgresql.dialect()))


def test_source_reads_rows_from_position_on(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO out_rows (id, double) VALUES (:id, :d)"), [{"id": i, "d": 0} for i in range(7)]
        )
        rows = conn.execute(SqlRecords("src", "SELECT id FROM out_rows", order_by="id DESC").statement(4))
        assert [r[0] for r in rows] == [2, 1, 0]
