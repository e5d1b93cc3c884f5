"""
Bytes a quarantined row takes, per table and index, on SQLite and PostgreSQL.

The rows of ``bench_guarded``'s quarantine-heavy run (``ERRORGUARD_BENCH_BYTES_ROWS``, default
100,000: real exceptions and tracebacks, the workload of issue 15's baseline) stored through
``QuarantineRepository.add``; then per object (the quarantine, its
indexes, the error signatures): SQLite ``dbstat`` pages after ``VACUUM``, PostgreSQL
``pg_relation_size`` of each relation (TOAST included in its table) after ``VACUUM FULL``. Only
public APIs are used, so the same script measures another checkout
(``PYTHONPATH=<checkout> python benchmarks/bench_bytes.py``). Issue 15's goal: at most 1/3 of the
layout before the error signatures, 859 bytes per row on SQLite (``docs/benchmarks.md``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy import text

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import create_storage_engine, dispose_engines, get_engine
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_guarded import _bad_items
from bench_storage import postgres_database

from airflow_errorguard.storage.identity import TaskIdentity

ROWS = int(os.environ.get("ERRORGUARD_BENCH_BYTES_ROWS", "100000"))
BASELINE = 859  # SQLite bytes per row before the error signatures (issue 15)
TABLES = ("errorguard_quarantine", "errorguard_error_signature")


TASK = TaskIdentity("bench", "picky", "heavy0", try_number=1)


def _fill(url: str) -> None:
    upgrade(url)
    repo = QuarantineRepository(Database(get_engine(url), conn_id="bench-bytes"))
    assert repo.add(TASK, _bad_items(ROWS)).inserted == ROWS
    dispose_engines()


def sqlite_sizes(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("VACUUM")
        return dict(
            conn.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master "
                f"WHERE tbl_name IN {TABLES}) GROUP BY name"
            ).fetchall()
        )


def postgres_sizes(url: str) -> dict[str, int]:
    engine = create_storage_engine(url, pooled=False)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in TABLES:
            conn.exec_driver_sql(f"VACUUM FULL {table}")
        found = conn.execute(
            text(
                "SELECT c.relname, pg_table_size(c.oid) FROM pg_class c WHERE c.relname = ANY(:t) "
                "UNION ALL SELECT i.relname, pg_relation_size(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
                "WHERE c.relname = ANY(:t)"
            ),
            {"t": list(TABLES)},
        ).all()
    engine.dispose()
    return {name: int(size) for name, size in found}


def report(label: str, sizes: dict[str, int]) -> float:
    total = sum(sizes.values()) / ROWS
    versus = f" = {total / BASELINE:.2f}x of {BASELINE} (target <= 0.33x)" if label == "SQLite" else ""
    print(f"  {label:<10} {total:7.1f} bytes per quarantined row{versus}")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"    {name:<48} {size / ROWS:7.1f}")
    return total


def main() -> int:
    print(f"bytes per quarantined row ({ROWS:,} rows, tables and indexes)")
    workdir = Path(tempfile.mkdtemp(prefix="errorguard-bench-bytes-"))
    try:
        path = workdir / "bytes.db"
        _fill(f"sqlite:///{path}")
        report("SQLite", sqlite_sizes(path))
    finally:
        dispose_engines()
        shutil.rmtree(workdir, ignore_errors=True)
    with postgres_database() as url:
        if url:
            _fill(url)
            report("PostgreSQL", postgres_sizes(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
