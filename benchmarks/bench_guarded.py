"""
Guarded processing overhead: 1,000,000 records with a trivial transform through the guard
(batches of 10,000, each committing its checkpoint to SQLite) against a bare loop that hands the
same batches to the same sink, both in this run. Then a quarantine-heavy run (20 % bad records).

Run with ``make bench`` (or ``python benchmarks/bench_guarded.py``). ``ERRORGUARD_BENCH_RECORDS``
changes the record count. Absolute figures depend on the machine; the ratio is what matters.
"""

from __future__ import annotations

import functools
import gc
import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from airflow_errorguard.guard import GuardedRun, GuardOptions, SqlGuardStore
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import dispose_engines, get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade

RECORDS = int(os.environ.get("ERRORGUARD_BENCH_RECORDS", "1000000"))
BATCH = 10_000
ROUNDS = 3


def transform(record: int) -> int:
    return record * 2 + 1


def picky(record: int) -> int:
    if record % 5 == 0:
        raise ValueError(f"record {record} is not valid")
    return record * 2 + 1


class CountingSink:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, outputs: list[Any]) -> None:
        self.count += len(outputs)


def bare_loop(records: Iterable[int], sink: CountingSink) -> None:
    batch: list[int] = []
    for record in records:
        batch.append(transform(record))
        if len(batch) >= BATCH:
            sink(batch)
            batch = []
    if batch:
        sink(batch)


def guarded(db: Database, run_id: str, process: Callable[[int], int], sink: CountingSink) -> dict[str, Any]:
    identity = TaskIdentity("bench", "guarded", run_id, try_number=1)
    store = SqlGuardStore(db, identity, CheckpointKey.for_task(identity, "guarded", per_run=True))
    run = GuardedRun(process, store, GuardOptions(batch_size=BATCH), sink=sink)
    return run.run(lambda position: range(position, RECORDS))


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="errorguard-bench-guarded-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'errorguard.db'}"
        upgrade(url)
        db = Database(get_engine(url), conn_id="bench")
        bare: list[float] = []
        guard: list[float] = []
        for n in range(ROUNDS):  # interleaved, so both see the same machine load
            bare_sink, guard_sink = CountingSink(), CountingSink()
            bare.append(timed(functools.partial(bare_loop, range(RECORDS), bare_sink)))
            guard.append(timed(functools.partial(guarded, db, f"happy-{n}", transform, guard_sink)))
            assert bare_sink.count == guard_sink.count == RECORDS
        bare_rate, guard_rate = RECORDS / min(bare), RECORDS / min(guard)
        print(f"records: {RECORDS:,}, batch/checkpoint every {BATCH:,}, SQLite, best of {ROUNDS}")
        print(f"bare loop:           {bare_rate:>12,.0f} records/s")
        print(f"guarded:             {guard_rate:>12,.0f} records/s")
        print(f"guarded / bare:      {guard_rate / bare_rate:>12.3f}x (target >= 0.97x)")
        overhead = (min(guard) - min(bare)) / RECORDS * 1e6
        print(f"guard overhead:      {overhead:>12.3f} us/record (mostly one SQLite commit per batch)")

        count = min(RECORDS, 200_000)
        sink = CountingSink()
        identity = TaskIdentity("bench", "picky", "heavy", try_number=1)
        store = SqlGuardStore(db, identity, CheckpointKey.for_task(identity, "guarded", per_run=True))
        run = GuardedRun(picky, store, GuardOptions(batch_size=BATCH), sink=sink)
        seconds = timed(lambda: run.run(lambda position: itertools.islice(range(count), position, None)))
        print(
            f"quarantine-heavy:    {count / seconds:>12,.0f} records/s "
            f"({count:,} records, 20 % quarantined = {count // 5 / seconds:,.0f} quarantined rows/s)"
        )
        dispose_engines()


if __name__ == "__main__":
    main()
