"""``fallback=``: transient errors after their retries, and system errors, are served by the fallback;
a served output the sink rejects at load time is counted quarantined, not served."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.exceptions import ErrorGuardAlert
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore, SqlGuardStore
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from tests.guard.poison_rows import TARGET, create_tables, loaded_ids, quarantined
from tests.harness.migrated_db import migrated_database

pytestmark = pytest.mark.unit
CACHE = {n: f"cached {n}" for n in range(20)}


def primary(n: int) -> str:
    if n in (3, 4):
        raise ConnectionResetError("price service reset the connection")  # every attempt
    if n == 9:
        raise MemoryError("cannot allocate the response buffer")  # system
    if n == 12:
        raise ValueError("price is not a number")  # data: quarantined, never served
    return f"live {n}"


def run(fallback: Any) -> tuple[dict[str, Any], list[str], MemoryGuardStore]:
    store, written = MemoryGuardStore(), []
    options = GuardOptions(batch_size=5, in_process_retry=Backoff(max_attempts=2))
    summary = GuardedRun(
        primary, store, options, sink=written.extend, sleep=lambda _: None, fallback=fallback
    ).run(lambda position: range(position, 15))
    return summary, written, store


def test_transient_after_retries_and_system_errors_are_served_by_the_fallback() -> None:
    summary, written, store = run(CACHE.__getitem__)
    assert written[3:5] == ["cached 3", "cached 4"] and written[9] == "cached 9"
    assert (summary["served_by_fallback"], summary["fallback_keys"]) == (3, ["3", "4", "9"])
    assert summary["retried_in_process"] == 2, "the primary's retries were spent first"
    assert list(store.items) == ["12"], "a data error is quarantined, not served"
    assert summary["succeeded"] == 14


def test_when_the_fallback_fails_too_the_primary_error_stands() -> None:
    def broken(n: int) -> str:
        raise KeyError(n)

    with pytest.raises(ConnectionResetError):
        run(broken)

    def only_transient(n: int) -> str:
        if n == 9:
            raise KeyError(n)
        return CACHE[n]

    with pytest.raises(ErrorGuardAlert, match="record 9: MemoryError"):
        run(only_transient)


# -- a fallback output the sink rejects at load time -------------------------------------------


def _row(n: int, qty: int = 1) -> dict[str, Any]:
    """A row of the poison-row target table; ``qty < 1`` breaks its CHECK constraint."""
    return {"id": n, "name": f"row {n}", "qty": qty, "parent_id": 1, "amount": 1, "due": "2026-01-05"}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield from migrated_database("sqlite", tmp_path, "fallback", create_tables)


def test_a_fallback_output_rejected_at_load_is_quarantined_not_served(sqlite_url: str) -> None:
    """Each record counted once: record 6's fallback output breaks the table's CHECK, so it is
    quarantined (and rejected at load), not served; record 3's fallback output loads and is served."""

    def primary(n: int) -> dict[str, Any]:
        if n in (3, 6):
            raise ConnectionResetError("quote service reset the connection")  # every attempt
        return _row(n, qty=-1 if n == 8 else 1)  # 8: a live output rejected at load

    def cached(n: int) -> dict[str, Any]:
        return _row(n, qty=-5 if n == 6 else 1)

    def guarded_try(try_number: int) -> dict[str, Any]:
        identity = TaskIdentity("eg_fallback", "load", "run", try_number=try_number)
        store = SqlGuardStore(
            Database(get_engine(sqlite_url), conn_id="test"),
            identity,
            CheckpointKey.for_task(identity, "guarded", per_run=True),
        )
        options = GuardOptions(batch_size=5, in_process_retry=Backoff(max_attempts=2))
        return GuardedRun(
            primary, store, options, sink=SqlTableSink(TARGET), sleep=lambda _: None, fallback=cached
        ).run(lambda position: range(position, 10))

    summary = guarded_try(1)
    counts = ("processed", "succeeded", "quarantined", "rejected_at_load", "served_by_fallback")
    assert [summary[c] for c in counts] == [10, 8, 2, 2, 1]
    assert summary["fallback_keys"] == ["3"]
    assert loaded_ids(sqlite_url) == Counter([0, 1, 2, 3, 4, 5, 7, 9]), "every loaded row once"
    rows = quarantined(sqlite_url)
    assert sorted(r["record_key"] for r in rows) == ["6", "8"]
    assert all(r["reason"].startswith(f"rejected at load time by SqlTableSink('{TARGET}')") for r in rows)

    resumed = guarded_try(2)  # nothing left: the counts come back from the checkpoint as committed
    assert resumed["resumed_from"] == 10
    assert [resumed[c] for c in counts] == [10, 8, 2, 2, 1] and resumed["fallback_keys"] == ["3"]


def test_a_rejected_fallback_output_is_matched_by_its_row_key_after_skipped_records() -> None:
    """A callable ``record_key``: served records are keyed by it, rejected rows by their position;
    record 1, quarantined by ``process``, shifts the outputs after it."""
    written: list[int] = []

    def sink(rows: list[int]) -> None:
        if any(r < 0 for r in rows):
            raise ValueError("value violates check constraint positive")
        written.extend(rows)

    def primary(record: dict[str, int]) -> int:
        n = record["n"]
        if n == 1:
            raise KeyError("price")  # data: quarantined by process(), no output
        if n in (3, 6):
            raise ConnectionResetError("quote service reset the connection")
        return n

    store = MemoryGuardStore()
    options = GuardOptions(
        batch_size=10, in_process_retry=Backoff(max_attempts=2), record_key=lambda r: f"s{r['n']}"
    )
    summary = GuardedRun(
        primary,
        store,
        options,
        sink=sink,
        sleep=lambda _: None,
        fallback=lambda r: -r["n"] if r["n"] == 6 else r["n"],
    ).run(lambda position: [{"n": n} for n in range(position, 10)])
    assert sorted(store.items) == ["position:6", "s1"]
    assert (summary["served_by_fallback"], summary["fallback_keys"]) == (1, ["s3"])
    assert (summary["succeeded"], summary["quarantined"], summary["rejected_at_load"]) == (8, 2, 1)
    assert written == [0, 2, 3, 4, 5, 7, 8, 9]
