"""DataFrame and Arrow batches: a vectorised transform per chunk, bad rows isolated and quarantined."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import sqlalchemy as sa

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore, SqlGuardStore
from airflow_errorguard.guard.frames import FrameBatches
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade

pytestmark = pytest.mark.unit

PRICES = [{"sku": f"s{i}", "price": "n/a" if i % 25 == 7 else f"{i}.50"} for i in range(100)]
BAD = [i for i in range(100) if i % 25 == 7]


def to_cents(frame: pd.DataFrame) -> pd.DataFrame:
    """Vectorised: one bad price fails the whole chunk (``float('n/a')``)."""
    return pd.DataFrame({"sku": frame["sku"], "cents": (frame["price"].astype(float) * 100).astype(int)})


def pandas_chunks(size: int) -> Any:
    def chunks(context: Any, position: int) -> Iterator[pd.DataFrame]:
        frame = pd.DataFrame(PRICES[position:])
        for start in range(0, len(frame), size):
            yield frame.iloc[start : start + size]

    return chunks


def run(frames: FrameBatches, chunks: Any, store: Any = None, sink: Any = None) -> tuple[dict[str, Any], Any]:
    store = store or MemoryGuardStore()
    written: list[dict[str, Any]] = []
    summary = GuardedRun(
        frames.process, store, GuardOptions(batch_size=20), sink=sink if sink is not None else written.extend
    ).run(lambda position: frames.source(chunks)(None, position))
    return summary, (store, written)


def test_pandas_chunks_bad_rows_isolated_by_bisection() -> None:
    summary, (store, written) = run(FrameBatches(to_cents), pandas_chunks(20))
    assert [r["sku"] for r in written] == [f"s{i}" for i in range(100) if i not in BAD]
    assert written[0] == {"sku": "s0", "cents": 50}
    assert sorted(int(k) for k in store.items) == BAD
    item = store.items["7"]
    assert item.payload == {"sku": "s7", "price": "n/a"} and item.error_category == "data"
    assert "could not convert string to float" in (item.error_message or "")
    assert (summary["processed"], summary["succeeded"], summary["quarantined"]) == (100, 96, 4)


def test_a_row_fallback_serves_the_rows_of_a_failed_chunk() -> None:
    calls: list[str] = []

    def one_row(row: dict[str, Any]) -> dict[str, Any]:
        calls.append(row["sku"])
        return {"sku": row["sku"], "cents": int(float(row["price"]) * 100)}

    summary, (store, written) = run(FrameBatches(to_cents, row_fallback=one_row), pandas_chunks(20))
    assert len(written) == 96 and sorted(int(k) for k in store.items) == BAD
    assert len(calls) == 80, "only the four chunks holding a bad row went row by row"
    assert summary["quarantined"] == 4


def test_arrow_tables_are_transformed_and_isolated_too() -> None:
    def arrow_cents(table: pa.Table) -> pa.Table:
        cents = pc.cast(pc.multiply(pc.cast(table["price"], pa.float64()), 100), pa.int64())
        return pa.table({"sku": table["sku"], "cents": cents})

    def chunks(context: Any, position: int) -> Iterator[pa.Table]:
        table = pa.Table.from_pylist(PRICES[position:])
        yield from (table.slice(start, 20) for start in range(0, table.num_rows, 20))

    summary, (store, written) = run(FrameBatches(arrow_cents), chunks)
    assert len(written) == 96 and written[1] == {"sku": "s1", "cents": 150}
    assert sorted(int(k) for k in store.items) == BAD
    assert store.items["32"].payload == {"sku": "s32", "price": "n/a"}
    assert summary["succeeded"] == 96


def test_a_transient_transform_error_fails_the_run_and_a_misshapen_transform_is_a_config_error() -> None:
    def down(frame: pd.DataFrame) -> pd.DataFrame:
        raise ConnectionResetError("lookup service reset the connection")

    with pytest.raises(ConnectionResetError):
        run(FrameBatches(down), pandas_chunks(20))

    def filtering(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[1:]

    with pytest.raises(ErrorGuardConfigError, match="returned 19 rows for 20; it must return one output row"):
        run(FrameBatches(filtering), pandas_chunks(20))


def test_a_transient_row_fallback_error_is_retried_in_process_by_calling_the_fallback_again() -> None:
    """The guard's in_process_retry re-runs ``row_fallback`` for the row, not a stored error."""
    calls: list[str] = []

    def flaky_row(row: dict[str, Any]) -> dict[str, Any]:
        calls.append(row["sku"])
        if row["sku"] == "s3" and calls.count("s3") == 1:
            raise ConnectionResetError(104, "Connection reset by peer")
        return {"sku": row["sku"], "cents": int(float(row["price"]) * 100)}

    frames = FrameBatches(to_cents, row_fallback=flaky_row)
    store, written = MemoryGuardStore(), []
    fast = Backoff(
        base_delay=timedelta(0), max_delay=timedelta(0), jitter="none", max_attempts=2, deadline=None
    )
    options = GuardOptions(batch_size=20, record_key="sku", in_process_retry=fast)
    summary = GuardedRun(frames.process, store, options, sink=written.extend).run(
        lambda position: frames.source(pandas_chunks(20))(None, position)
    )
    assert calls.count("s3") == 2, "the retry called the fallback again"
    assert {"sku": "s3", "cents": 350} in written and sorted(store.items) == sorted(f"s{i}" for i in BAD)
    assert (summary["succeeded"], summary["quarantined"], summary["retried_in_process"]) == (96, 4, 1)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    upgrade(url)
    db = Database(get_engine(url), conn_id="test")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE prices (sku TEXT PRIMARY KEY, cents INTEGER CHECK (cents < 5000))")
    return db


def test_chunks_resume_from_the_checkpoint_into_a_sql_table(database: Database) -> None:
    """Chunks load through SqlTableSink (its own rejected rows bisected too) and resume by row."""
    identity = TaskIdentity("dag", "prices", "run", try_number=1)
    key = CheckpointKey.for_task(identity, "guarded", per_run=True)
    frames = FrameBatches(to_cents)
    opened: list[int] = []
    fail = {"at": 60}

    def chunks(context: Any, position: int) -> Iterator[pd.DataFrame]:
        opened.append(position)
        for start in range(position, 100, 20):
            if start == fail["at"]:
                fail["at"] = -1
                raise TimeoutError("the CSV store timed out")
            yield pd.DataFrame(PRICES[start : start + 20])

    def once() -> dict[str, Any]:
        store = SqlGuardStore(database, identity, key)
        return run(frames, chunks, store=store, sink=SqlTableSink("prices"))[0]

    with pytest.raises(TimeoutError):
        once()
    summary = once()
    assert opened == [0, 60] and summary["resumed_from"] == 60
    with database.engine.connect() as conn:
        loaded = [
            r[0]
            for r in conn.execute(sa.text("SELECT sku FROM prices ORDER BY CAST(substr(sku, 2) AS INTEGER)"))
        ]
        reasons = dict(
            conn.execute(
                sa.text(
                    "SELECT record_key, s.reason FROM errorguard_quarantine q "
                    "JOIN errorguard_error_signature s ON s.signature_key = q.signature_key"
                )
            ).all()
        )
    too_big = [i for i in range(100) if i not in BAD and i * 100 + 50 >= 5000]
    assert loaded == [f"s{i}" for i in range(100) if i not in BAD and i not in too_big]
    assert sorted(int(k) for k in reasons) == sorted(BAD + too_big)
    assert "CHECK constraint failed" in reasons[str(too_big[0])]
    assert summary["rejected_at_load"] == len(too_big)


def test_importing_the_module_imports_neither_pandas_nor_pyarrow() -> None:
    code = (
        "import sys, airflow_errorguard.guard.frames; print(sorted({'pandas', 'pyarrow'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
