"""
Poison rows at load time: 100,000 rows loaded through ``SqlTableSink`` (batches of 1,000, exactly
once with the checkpoint) with 0.1 % and 1 % of them rejected by the table's constraints (a
duplicate key, a NULL in a NOT NULL column, a CHECK violation), isolated by bisection and
quarantined, against a clean load of the same rows, in the same run, on SQLite and PostgreSQL.

Loaded rows/s counts the rows that reach the table; the ratio is against the clean load (all
rows good). ``ERRORGUARD_BENCH_LOAD_ROWS`` changes the row count.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_storage import postgres_database

from airflow_errorguard.guard import GuardedRun, GuardOptions, SqlGuardStore
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import dispose_engines, get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade

ROWS = int(os.environ.get("ERRORGUARD_BENCH_LOAD_ROWS", "100000"))
BATCH = 1000
ROUNDS = 3
TABLE = "bench_load_target"


def make_row(n: int, every: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {"id": n, "name": f"row {n}", "qty": 1 + n % 9}
    if every and n % every == every // 2:
        kind = (n // every) % 3
        if kind == 0:
            row["id"] = n - 1  # duplicate key
        elif kind == 1:
            row["name"] = None
        else:
            row["qty"] = -1
    return row


def load_once(db: Database, rows: list[dict[str, Any]], run_id: str) -> tuple[float, dict[str, Any]]:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        conn.exec_driver_sql(
            f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, "
            "qty INTEGER CONSTRAINT qty_positive CHECK (qty > 0))"
        )
    identity = TaskIdentity("bench_load", "load", run_id, try_number=1)
    store = SqlGuardStore(db, identity, CheckpointKey.for_task(identity, "guarded", per_run=True))
    run = GuardedRun(lambda r: r, store, GuardOptions(batch_size=BATCH), sink=SqlTableSink(TABLE))
    began = time.perf_counter()
    summary = run.run(lambda position: rows[position:])
    return time.perf_counter() - began, summary


def bench(url: str, label: str) -> None:
    db = Database(get_engine(url), conn_id="bench")
    print(f"{label}: {ROWS:,} rows, batches of {BATCH:,}, best of {ROUNDS}")
    clean_rate = 0.0
    for name, every in (("clean", None), ("0.1 % poison", 1000), ("1 % poison", 100)):
        rows = [make_row(n, every) for n in range(ROWS)]
        best, summary = min(load_once(db, rows, f"{label}-{name}-{i}") for i in range(ROUNDS))
        loaded = summary["succeeded"]
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {TABLE}")).scalar() == loaded
        rate = loaded / best
        clean_rate = clean_rate or rate
        print(
            f"  {name:<13} {loaded:>7,} loaded, {summary['rejected_at_load']:>5,} rejected at load: "
            f"{rate:>9,.0f} loaded rows/s ({rate / clean_rate:.2f}x of the clean load)"
        )
    dispose_engines()


def main() -> int:
    logging.getLogger("airflow_errorguard").setLevel(logging.WARNING)  # one line per bisected batch
    logging.getLogger("alembic").setLevel(logging.WARNING)
    began = time.perf_counter()
    print(
        f"errorguard load-time bisection benchmark (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'load.db'}"
        upgrade(url)
        bench(url, "SQLite")
    with postgres_database() as pg_url:
        if pg_url is not None:
            upgrade(pg_url)
            bench(pg_url, "PostgreSQL")
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
