"""
``airflow db migrate`` over a big quarantine: the error-signature migration (``5b8d3f0e2a17``) on
1,000,000 stored rows, on SQLite and PostgreSQL.

The rows are built at the previous revision (``e52b8c7d1a34``) with one set-based ``INSERT ...
SELECT``: 20 distinct errors, each with a ~500-character traceback that ends with the row's own
message (as Python formats it), so the migration finds 20 signatures. Then ``upgrade`` to the head
is timed (the signature migration, then the later revisions on their own: ``d3a7f19c5e60`` rebuilds
the SQLite table for its reordered unique key; ``d0029be7fa60`` and ``b81c4e6f2d95`` rewrite every
row's signature key, and on SQLite its timestamps, and rebuild the table), with the bytes the
quarantine takes before and after (tables and indexes; on PostgreSQL after ``VACUUM FULL``, which
cannot drop the row versions the migration's ``UPDATE`` left while any transaction on the server is
older than it: the "after" figure is then too high). ``ERRORGUARD_BENCH_MIGRATION_ROWS`` changes the
row count. Not part of ``make test``; run with ``make bench`` or ``python
benchmarks/bench_migration.py``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from sqlalchemy import text

from airflow_errorguard.storage.engine import create_storage_engine, dispose_engines
from airflow_errorguard.storage.migrate import head_revision, upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_storage import postgres_database

ROWS = int(os.environ.get("ERRORGUARD_BENCH_MIGRATION_ROWS", "1000000"))
BEFORE = "e52b8c7d1a34"
#: The revision after the error-signature migration; the later ones are timed on their own.
SIGNATURES_DONE = "9a6c2e4f7b18"
#: Before the shorter signature keys and SQLite's integer timestamps (issue 15), timed on their own.
LEANER_DONE = "d3a7f19c5e60"
STACK = (
    "Traceback (most recent call last):\n"
    '  File "/opt/airflow/dags/etl/orders.py", line 1#, in transform\n'
    '    amount = parse_amount(record["amount"])\n'
    "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    '  File "/opt/airflow/dags/etl/parsing.py", line 4#, in parse_amount\n'
    '    return Decimal(value.replace(",", "."))\n'
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    '  File "/usr/local/lib/python3.11/site-packages/validators/core.py", line 8#, in check\n'
    "    raise ValueError(message)\n"
    "ValueError: "
)
#: Columns the build fills and the SQL of each value (``g``: the row number; ``{e}``: its error
#: number as text, ``{nl}``: a newline, per dialect).
COLUMNS = {
    "dag_id": "'dag_' || (g % 20)",
    "task_id": "'task_' || (g % 7)",
    "run_id": "'scheduled__' || (g / 5000)",
    "map_index": "-1",
    "try_number": "1",
    "record_key": "'order-' || g",
    "payload": '\'{{"id":\' || g || \',"amount":"12.50x"}}\'',
    "payload_bytes": "30",
    "payload_truncated": "{false}",
    "error_category": "'data'",
    "error_type": "'builtins.ValueError'",
    "error_message": "'invalid amount in order ' || g",
    "traceback": "replace(:stack, '#', {e}) || 'invalid amount in order ' || g || {nl}",
    "fingerprint": "'fp' || (g % 20)",
    "reason": "'ValueError means a value is invalid'",
    "status": "'quarantined'",
    "created_at": "{now}",
    "updated_at": "{now}",
}


def build_sql(dialect: str) -> str:
    names = ", ".join(COLUMNS)
    if dialect == "postgresql":
        values = ", ".join(COLUMNS.values()).format(
            false="false", now="now()", e="(g % 20)::text", nl="chr(10)"
        )
        return f"INSERT INTO errorguard_quarantine ({names}) SELECT {values} FROM generate_series(1, :n) AS g"
    values = ", ".join(COLUMNS.values()).format(
        false="0", now="CURRENT_TIMESTAMP", e="(g % 20)", nl="char(10)"
    )
    return (
        "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
        f"INSERT INTO errorguard_quarantine ({names}) SELECT {values} FROM s"
    )


def stored_bytes(url: str, path: Path | None) -> int:
    if path is not None:
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("VACUUM")
            found = conn.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master "
                "WHERE tbl_name IN ('errorguard_quarantine', 'errorguard_error_signature'))"
            ).fetchone()
            return int(found[0] or 0)
    engine = create_storage_engine(url, pooled=False)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM FULL")
        size = conn.execute(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname IN "
                "('errorguard_quarantine', 'errorguard_error_signature')"
            )
        ).scalar()
    engine.dispose()
    return int(size or 0)


def _long_keys(url: str) -> None:
    """
    Give the signatures keys of 32 digits, as an errorguard before ``d0029be7fa60`` stored them
    (this checkout's ``5b8d3f0e2a17`` already writes 16): the next migration has them to cut.
    """
    engine = create_storage_engine(url, pooled=False)
    with engine.begin() as conn:
        for table in ("errorguard_error_signature", "errorguard_quarantine"):
            conn.execute(text(f"UPDATE {table} SET signature_key = signature_key || '0123456789abcdef'"))
    engine.dispose()


def bench(label: str, url: str, path: Path | None = None) -> None:
    upgrade(url, BEFORE)
    engine = create_storage_engine(url, pooled=False)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(build_sql(engine.dialect.name)), {"n": ROWS, "stack": STACK})
    built = time.perf_counter() - started
    engine.dispose()
    before = stored_bytes(url, path)
    dispose_engines()
    started = time.perf_counter()
    upgrade(url, SIGNATURES_DONE)
    seconds = time.perf_counter() - started
    dispose_engines()
    started = time.perf_counter()
    upgrade(url, LEANER_DONE)
    later = time.perf_counter() - started
    dispose_engines()
    _long_keys(url)
    middle = stored_bytes(url, path)
    dispose_engines()
    started = time.perf_counter()
    assert upgrade(url) == head_revision()
    compact = time.perf_counter() - started
    dispose_engines()  # no open snapshot may keep the rows the migration rewrote from VACUUM
    after = stored_bytes(url, path)
    engine = create_storage_engine(url, pooled=False)
    with engine.connect() as conn:
        moved = conn.execute(
            text("SELECT count(*) FROM errorguard_quarantine WHERE signature_key IS NOT NULL")
        )
        signatures = conn.execute(text("SELECT count(*) FROM errorguard_error_signature"))
        counts = (moved.scalar_one(), signatures.scalar_one())
    engine.dispose()
    assert counts[0] == ROWS, counts
    print(
        f"  {label:<10} {ROWS:,} rows (built in {built:.0f} s): migration {seconds:,.1f} s "
        f"= {ROWS / seconds:,.0f} rows/s, {counts[1]} signatures | quarantine {before / ROWS:,.0f} -> "
        f"{after / ROWS:,.0f} bytes per row ({after / before:.2f}x) | then {SIGNATURES_DONE} -> "
        f"{LEANER_DONE} (leaner rows): {later:,.1f} s | then -> {head_revision()} (16-digit keys, "
        f"SQLite integer timestamps): {compact:,.1f} s = {ROWS / compact:,.0f} rows/s, "
        f"{middle / ROWS:,.0f} -> {after / ROWS:,.0f} bytes per row"
    )


def main() -> int:
    print(f"error-signature migration (5b8d3f0e2a17) on {ROWS:,} stored quarantine rows")
    workdir = Path(tempfile.mkdtemp(prefix="errorguard-bench-migration-"))
    try:
        path = workdir / "migrate.db"
        bench("SQLite", f"sqlite:///{path}", path)
    finally:
        dispose_engines()
        shutil.rmtree(workdir, ignore_errors=True)
    with postgres_database() as url:
        if url:
            bench("PostgreSQL", url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
