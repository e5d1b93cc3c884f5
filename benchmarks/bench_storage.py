"""
Storage throughput and listing latency, on SQLite and PostgreSQL.

1. One task-sized batch of 100,000 quarantined records through ``QuarantineRepository.add``
   (payload serialisation included), the same batch again (a retried task: every row skipped),
   and a naive baseline measured in the same run: one ``INSERT`` + ``COMMIT`` per record on the
   same engine (fewer rows; rates are compared).
2. Keyset page latency (p50/p95, 50 rows per page, through ``QuarantineRepository.page``) on a
   1,000,000-row PostgreSQL table built with one set-based ``INSERT ... SELECT generate_series``.

PostgreSQL: ``$ERRORGUARD_BENCH_PG_URL`` or ``$ERRORGUARD_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``); a database ``errorguard_bench_<hex>`` is created
and dropped. Absolute figures depend on the machine; the ratios are measured in the same run.
Run with ``make bench`` (or ``python benchmarks/bench_storage.py``).
"""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from airflow_errorguard.storage import signatures
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import dispose_engines, get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.message_search import create_message_search_index
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.payload import PayloadPolicy, encode_payload
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineFilter, QuarantineItem
from airflow_errorguard.storage.tables import quarantine_table

BATCH = int(os.environ.get("ERRORGUARD_BENCH_BATCH", "100000"))
NAIVE = int(os.environ.get("ERRORGUARD_BENCH_NAIVE", "2000"))
TABLE_ROWS = int(os.environ.get("ERRORGUARD_BENCH_TABLE_ROWS", "1000000"))
PAGES = int(os.environ.get("ERRORGUARD_BENCH_PAGES", "150"))
PG_URL = (
    os.environ.get("ERRORGUARD_BENCH_PG_URL")
    or os.environ.get("ERRORGUARD_TEST_PG_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
TASK = TaskIdentity("bench_dag", "load_orders", "scheduled__2026-01-01", try_number=1)


def records(n: int, offset: int = 0) -> list[QuarantineItem]:
    """Realistic bad records: a dict payload, a classified ValueError, a short traceback."""
    return [
        QuarantineItem(
            record_key=f"order-{i:08d}",
            payload={"order_id": i, "customer": f"c{i % 997}", "amount": "12.50x", "items": [1, 2, 3]},
            error_category="data",
            error_type="builtins.ValueError",
            error_message=f"could not convert string to float: '12.50x' (order {i})",
            traceback='Traceback (most recent call last):\n  File "etl.py", line 42, in parse\nValueError',
            fingerprint="5f1c0ffee0ddba11",
            reason="ValueError means a value is invalid: retrying cannot help",
        )
        for i in range(offset, offset + n)
    ]


def naive_insert(db: Database, items: list[QuarantineItem]) -> None:
    """
    What a task would do without errorguard's bulk path: per record, its error signature
    (``INSERT ... ON CONFLICT DO NOTHING``) and its row, then ``COMMIT``.
    """
    policy = PayloadPolicy()
    for item in items:
        payload = encode_payload(item.payload, policy)
        template, at_end = signatures.split_traceback(item.traceback, item.error_message)
        signature = (item.error_category, item.error_type, item.fingerprint, item.reason, template, at_end)
        key = signatures.signature_key(signature)
        now = datetime.now(UTC)
        with db.engine.begin() as conn:
            signatures.store(conn, {key: signature}, now)
            conn.execute(
                insert(quarantine_table).values(
                    **TASK.as_columns(),
                    record_key=item.record_key,
                    payload=payload.text,
                    payload_bytes=payload.nbytes,
                    payload_truncated=payload.truncated,
                    payload_sha256=payload.stored_sha256,
                    error_category=item.error_category,
                    error_message=item.error_message,
                    fingerprint=item.fingerprint,
                    signature_key=key,
                    status="quarantined",
                    created_at=now,
                    updated_at=now,
                )
            )


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _server_pid(db: Database) -> int | None:
    """The PostgreSQL backend serving *db*'s pooled connection, when it runs on this machine."""
    if db.backend != "postgresql":
        return None
    with db.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return pid if isinstance(pid, int) and Path(f"/proc/{pid}/stat").exists() else None


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process *pid* (``/proc``); 0 without one."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_insert(label: str, url: str) -> dict[str, float]:
    upgrade(url)
    db = Database(get_engine(url), conn_id=f"bench-{label}")
    repo = QuarantineRepository(db)
    batch = records(BATCH)
    repo.add(TaskIdentity("warmup", "t", "r"), records(200))
    results: dict[str, float] = {}
    inserted = [0]

    def bulk() -> None:
        inserted[0] = repo.add(TASK, batch).inserted

    server = _server_pid(db)
    client_cpu, server_cpu = time.process_time(), _cpu_seconds(server)
    seconds = timed(bulk)
    client_cpu, server_cpu = time.process_time() - client_cpu, _cpu_seconds(server) - server_cpu
    assert inserted[0] == BATCH, inserted
    results["bulk"] = BATCH / seconds

    def again() -> None:
        inserted[0] = repo.add(TASK, batch).inserted

    seconds_again = timed(again)
    assert inserted[0] == 0, inserted
    results["retry"] = BATCH / seconds_again

    naive_items = records(NAIVE, offset=BATCH)
    results["naive"] = NAIVE / timed(lambda: naive_insert(db, naive_items))
    print(
        f"  {label:<10} bulk {BATCH:,} rows in {seconds:5.2f} s = {results['bulk']:>9,.0f} rows/s | "
        f"same batch again (all skipped) {results['retry']:>9,.0f} rows/s | "
        f"naive INSERT+COMMIT ({NAIVE:,} rows) {results['naive']:>7,.0f} rows/s | "
        f"bulk/naive = {results['bulk'] / results['naive']:.0f}x (targets: 50,000 rows/s, 50x)"
    )
    if server is not None:  # a local server: its CPU time is read too (steadier than wall time)
        print(
            f"  {'':<10} bulk in CPU time: client {client_cpu:.2f} s + server {server_cpu:.2f} s "
            f"= {BATCH / (client_cpu + server_cpu):,.0f} rows per CPU second"
        )
    if db.backend == "postgresql":  # what the opt-in message search index costs a bulk insert
        create_message_search_index(db)
        indexed = TaskIdentity("bench", "indexed", "r")
        seconds_indexed = timed(lambda: repo.add(indexed, batch))
        results["bulk_indexed"] = BATCH / seconds_indexed
        print(
            f"  {'':<10} bulk with the message search index (pg_trgm) "
            f"{results['bulk_indexed']:>9,.0f} rows/s "
            f"= {results['bulk_indexed'] / results['bulk']:.2f}x without"
        )
    return results


BUILD_SQL = """
INSERT INTO errorguard_quarantine (
    dag_id, task_id, run_id, map_index, try_number, record_key, payload, payload_bytes,
    payload_truncated, payload_sha256, error_category, error_message,
    fingerprint, signature_key, status, created_at, updated_at)
SELECT 'dag_' || (g % 20),
       'task_' || (g % 20) || '_' || ((g / 20) % 10),
       'scheduled__' || (g / 5000),
       -1, 1,
       'rec-' || g,
       '{"id":' || g || ',"amount":"12.50x"}', 30, false, md5(g::text),
       (ARRAY['data','data','data','transient','configuration'])[1 + g % 5],
       'bad value ' || g,
       'fp' || (g % 500), left(md5('sig' || (g % 500)), 16),
       CASE WHEN g % 20 < 14 THEN 'quarantined' WHEN g % 20 < 17 THEN 'released'
            WHEN g % 20 < 19 THEN 'replayed' ELSE 'discarded' END,
       :start + (g * interval '7 seconds'),
       :start + (g * interval '7 seconds')
FROM generate_series(1, :n) AS g
"""


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_pages(url: str) -> None:
    from sqlalchemy import text

    db = Database(get_engine(url), conn_id="bench-pg")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE errorguard_quarantine RESTART IDENTITY")
    start = datetime(2025, 10, 1, tzinfo=UTC)
    build = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(text(BUILD_SQL), {"start": start, "n": TABLE_ROWS})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE errorguard_quarantine")
    print(
        f"  built a {TABLE_ROWS:,}-row table in {time.perf_counter() - build:.1f} s "
        "(INSERT ... SELECT + ANALYZE)"
    )
    end = start + timedelta(seconds=7 * TABLE_ROWS)
    repo = QuarantineRepository(db)
    filters = {
        "status": QuarantineFilter(statuses=("quarantined",)),
        "dag + status": QuarantineFilter(dag_id="dag_7", statuses=("quarantined",)),
        "dag + task + status": QuarantineFilter(
            dag_id="dag_7", task_id="task_7_3", statuses=("quarantined",)
        ),
        "fingerprint": QuarantineFilter(fingerprint="fp123"),
        "category + status": QuarantineFilter(error_category="transient", statuses=("quarantined",)),
        "last 7 days + status": QuarantineFilter(
            created_after=end - timedelta(days=7), statuses=("released",)
        ),
    }
    everything: list[float] = []
    for name, flt in filters.items():
        samples: list[float] = []
        cursor: int | None = None
        for _ in range(PAGES):
            began = time.perf_counter()
            page = repo.page(flt, limit=50, after=cursor)
            samples.append((time.perf_counter() - began) * 1000)
            assert page.items, name
            cursor = page.next_cursor  # None after the last page: start again from the newest
        everything.extend(samples)
        print(
            f"  {name:<22} p50 {statistics.median(samples):6.2f} ms  p95 {percentile(samples, 0.95):6.2f} ms"
            f"  ({PAGES} consecutive pages of 50)"
        )
    print(
        f"  {'all filters':<22} p50 {statistics.median(everything):6.2f} ms  "
        f"p95 {percentile(everything, 0.95):6.2f} ms  (target p95 <= 100 ms)"
    )


@contextmanager
def postgres_database() -> Iterator[str | None]:
    import psycopg2

    server = make_url(PG_URL).set(drivername="postgresql")
    name = f"errorguard_bench_{secrets.token_hex(5)}"
    try:
        admin = psycopg2.connect(server.render_as_string(hide_password=False), connect_timeout=5)
    except psycopg2.Error as exc:
        print(
            f"  PostgreSQL at {server.render_as_string(hide_password=True)} unreachable, "
            f"skipped: {str(exc).strip()}"
        )
        yield None
        return
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield server.set(drivername="postgresql+psycopg2", database=name).render_as_string(
            hide_password=False
        )
    finally:
        dispose_engines()
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> int:
    began = time.perf_counter()
    print(f"errorguard storage benchmark (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"1. quarantine insert: one batch of {BATCH:,} records vs naive per-row INSERT+COMMIT")
    workdir = Path(tempfile.mkdtemp(prefix="errorguard-bench-"))
    try:
        bench_insert("SQLite", f"sqlite:///{workdir / 'bench.db'}")
    finally:
        dispose_engines()
        shutil.rmtree(workdir, ignore_errors=True)
    with postgres_database() as url:
        if url:
            bench_insert("PostgreSQL", url)
            print(f"2. keyset pagination on PostgreSQL, {TABLE_ROWS:,} rows, filters the UI uses")
            bench_pages(url)
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
