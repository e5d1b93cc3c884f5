"""
Page latency of the errorguard UI on a 1,000,000-row quarantine table in PostgreSQL.

A throwaway Airflow home on a fresh PostgreSQL database (``airflow db migrate`` creates errorguard's
tables), 1M quarantine rows loaded with one set-based ``INSERT ... SELECT generate_series`` (50 DAGs,
6 categories, 4 statuses, 200 fingerprints), then a real ``airflow api-server`` serving the plugin.
Every page/API call is timed over HTTP with an admin token (p50/p95 of sequential requests), next to
a baseline measured in the same run: the bare indexed ``SELECT`` of the same page (psycopg2, no
HTTP, no auth, no rendering). Target: p95 <= 100 ms per page.

PostgreSQL: ``$ERRORGUARD_BENCH_PG_URL`` / ``$ERRORGUARD_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``); the database is created and dropped.
Run: ``python benchmarks/bench_ui.py`` (or ``make bench``).
"""

from __future__ import annotations

import functools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg2  # noqa: E402

from airflow_errorguard.storage.database import Database  # noqa: E402
from airflow_errorguard.storage.engine import get_engine  # noqa: E402
from airflow_errorguard.storage.message_search import create_message_search_index  # noqa: E402
from benchmarks.ui_dataset import LOADS, TABLES, fingerprint  # noqa: E402
from tests.harness import postgres as pg  # noqa: E402
from tests.harness.airflow_env import AirflowEnv  # noqa: E402
from tests.ui.api_server import ApiServer  # noqa: E402

ROWS = int(os.environ.get("ERRORGUARD_BENCH_TABLE_ROWS", "1000000"))
REQUESTS = int(os.environ.get("ERRORGUARD_BENCH_REQUESTS", "60"))
#: Only the pages whose name contains one of these comma-separated words (to iterate on a few
#: pages); every page by default.
ONLY = [word for word in os.environ.get("ERRORGUARD_BENCH_UI_ONLY", "").split(",") if word] or [""]
WARMUP = 5
PG_URL = os.environ.get("ERRORGUARD_BENCH_PG_URL") or pg.admin_url()

SUMMARY = (
    "id, dag_id, task_id, run_id, map_index, try_number, record_key, payload_bytes, payload_truncated, "
    "payload_sha256, q.error_category, s.error_type, error_message, q.fingerprint, s.reason, status, "
    "q.created_at, updated_at, resolved_at, resolved_by, note"
)
#: The quarantine rows with their error signatures, as the page reads them.
JOINED = (
    "errorguard_quarantine q LEFT OUTER JOIN errorguard_error_signature s "
    "ON s.signature_key = q.signature_key"
)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(call: Callable[[], object], n: int = REQUESTS) -> list[float]:
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


Case = tuple[str, str, dict[str, object], Callable[[], object]]


def report(name: str, page: list[float], base: list[float], size: int) -> None:
    """One line: the page's p50/p95 over HTTP against the bare query's p95, and its size."""
    p95, b95 = percentile(page, 0.95), percentile(base, 0.95)
    verdict = "ok" if p95 <= 100 else "OVER"
    print(
        f"{name:<40} {statistics.median(page):8.1f} {p95:8.1f} {b95:9.2f} {p95 / b95:7.1f}x "
        f"{size / 1024:7.0f}  {verdict}"
    )


def picture_cases(
    query: Callable[..., Callable[[], object]], *, released: int, incident_id: int
) -> list[Case]:
    """
    The pages with pictures and the read paths behind them, each against the bare grouped count or
    indexed lookup it cannot do without.
    """

    def grouped(table: str, column: str, hours: int, where: str = "TRUE") -> Callable[[], object]:
        return query(
            f"SELECT {column}, count(*) FROM {table} WHERE created_at >= now() - make_interval(hours => %s) "
            f"AND {where} GROUP BY {column}",
            hours,
        )

    incidents = "/errorguard/incidents"
    return [
        (
            "incidents page (24h, per category)",
            incidents,
            {},
            grouped("errorguard_quarantine", "error_category", 24),
        ),
        (
            "incidents page (7d, per category)",
            incidents,
            {"range": "7d"},
            grouped("errorguard_quarantine", "error_category", 168),
        ),
        (
            "incidents page (30d, per DAG)",
            incidents,
            {"range": "30d", "by": "dag"},
            grouped("errorguard_quarantine", "dag_id", 720),
        ),
        (
            "incidents page, one DAG (30d)",
            incidents,
            {"range": "30d", "dag_id": "dag_7"},
            grouped("errorguard_quarantine", "error_category", 720, "dag_id = 'dag_7'"),
        ),
        (
            "API incidents (top fingerprints, budgets)",
            "/errorguard/api/incidents",
            {},
            grouped("errorguard_error_event", "fingerprint", 24),
        ),
        (
            "incident page (timeline)",
            f"{incidents}/{incident_id}",
            {},
            query("SELECT * FROM errorguard_incident WHERE id = %s", incident_id),
        ),
        (
            "circuits page (50, 24h timelines)",
            "/errorguard/circuits",
            {},
            query("SELECT * FROM errorguard_circuit ORDER BY name"),
        ),
        (
            "circuit page (7d timeline)",
            "/errorguard/circuits/circuit_7",
            {},
            query(
                "SELECT * FROM errorguard_circuit_event WHERE circuit_name = %s ORDER BY id DESC LIMIT 200",
                "circuit_7",
            ),
        ),
        (
            "API circuits",
            "/errorguard/api/circuits",
            {},
            query("SELECT * FROM errorguard_circuit ORDER BY name"),
        ),
        (
            "released record page (replay tasks)",
            f"/errorguard/quarantine/{released}",
            {},
            query("SELECT * FROM errorguard_quarantine WHERE id = %s", released),
        ),
    ]


def load(conn: Any) -> tuple[int, int, int]:
    """Load the dataset; the ids the pages open: a middle row, a released one, an open incident."""
    with conn.cursor() as cur:
        start = time.perf_counter()
        for _, sql in LOADS:
            cur.execute(sql, {"rows": ROWS})
        for table in TABLES:
            cur.execute(f"ANALYZE {table}")
        print(f"loaded {', '.join(what for what, _ in LOADS)} in {time.perf_counter() - start:.1f} s")
        cur.execute("SELECT max(id) FROM errorguard_quarantine")
        mid = int(cur.fetchone()[0]) // 2
        cur.execute(
            "SELECT max(id) FROM errorguard_quarantine WHERE status = 'released' AND id <= %s", (mid,)
        )
        released = int(cur.fetchone()[0])
        cur.execute("SELECT min(id) FROM errorguard_incident WHERE status = 'open'")
        return mid, released, int(cur.fetchone()[0])


def build_search_index(url: str) -> None:
    start = time.perf_counter()
    create_message_search_index(Database(get_engine(url), conn_id="bench"))
    print(f"(built the message search index on {ROWS:,} rows in {time.perf_counter() - start:.1f} s)")


def main() -> int:
    database = pg.create_database(PG_URL, prefix="errorguard_bench_ui_")
    home = Path(tempfile.mkdtemp(prefix="errorguard-bench-ui-"))
    print(
        f"bench_ui: {ROWS:,} quarantine rows in PostgreSQL database {database}; {REQUESTS} requests per page"
    )
    try:
        env = AirflowEnv.create(home, pg.airflow_url(PG_URL, database))
        env.migrate()
        dsn = pg.airflow_url(PG_URL, database).replace("postgresql+psycopg2", "postgresql")
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        mid, released, incident_id = load(conn)

        def bare(where: str, params: tuple[object, ...], after: int | None = None) -> Callable[[], object]:
            clause = where + (" AND id < %s" if after else "")
            args = params + ((after,) if after else ())
            sql = f"SELECT {SUMMARY} FROM {JOINED} WHERE {clause} ORDER BY id DESC LIMIT 51"

            def run() -> object:
                with conn.cursor() as cur:
                    cur.execute(sql, args)
                    return cur.fetchall()

            return run

        def query(sql: str, *args: object) -> Callable[[], object]:
            def run() -> object:
                with conn.cursor() as cur:
                    cur.execute(sql, args)
                    return cur.fetchall()

            return run

        detail_baseline = query("SELECT * FROM errorguard_quarantine WHERE id = %s", mid)

        search: Case = (
            "list page, message text (no index)",
            "/errorguard/quarantine",
            {"q": "order 99999"},
            bare("error_message ILIKE %s", ("%order 99999%",)),
        )
        cases: list[Case] = [
            ("list page (no filter, with counts)", "/errorguard/quarantine", {}, bare("TRUE", ())),
            (
                "list page, DAG + status",
                "/errorguard/quarantine",
                {"dag_id": "dag_7", "status": "quarantined"},
                bare("dag_id = %s AND status = %s", ("dag_7", "quarantined")),
            ),
            (
                "list page, fingerprint",
                "/errorguard/quarantine",
                {"fingerprint": fingerprint(42)},
                bare("q.fingerprint = %s", (fingerprint(42),)),
            ),
            (
                "list page, status, deep cursor",
                "/errorguard/quarantine",
                {"status": "released", "after": mid},
                bare("status = %s", ("released",), after=mid),
            ),
            (
                "list page, date range",
                "/errorguard/quarantine",
                {"since": "2000-01-01", "dag_id": "dag_3"},
                bare("q.created_at >= '2000-01-01' AND dag_id = %s", ("dag_3",)),
            ),
            ("API list (JSON, no counts)", "/errorguard/api/quarantine", {}, bare("TRUE", ())),
            (
                "API list, DAG + category",
                "/errorguard/api/quarantine",
                {"dag_id": "dag_9", "category": "auth"},
                bare("dag_id = %s AND q.error_category = %s", ("dag_9", "auth")),
            ),
            ("API counts (status + category)", "/errorguard/api/quarantine/counts", {}, bare("TRUE", ())),
            search,
            ("record detail page", f"/errorguard/quarantine/{mid}", {}, detail_baseline),
            *picture_cases(query, released=released, incident_id=incident_id),
        ]
        server = ApiServer(env, startup_timeout=240)
        with server:
            headers = {"Authorization": f"Bearer {server.token()}"}
            client = server.client
            print(
                f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'base p95':>9} {'ratio':>7} {'KiB':>7}"
                "  target p95<=100ms"
            )
            sizes: dict[str, int] = {}

            def call(path: str, params: dict[str, object]) -> object:
                response = client.get(path, params=params, headers=headers)  # type: ignore[arg-type]
                if response.status_code != 200:
                    raise AssertionError(f"{path} -> {response.status_code}\n" + server.process_logs())
                sizes[path] = len(response.content)
                return response

            for name, path, params, baseline in [c for c in cases if any(w in c[0] for w in ONLY)]:
                report(name, timed(functools.partial(call, path, params)), timed(baseline), sizes[path])
            # The opt-in trigram index (`errorguard db search-index create`), then the search again.
            build_search_index(pg.airflow_url(PG_URL, database))
            _, path, params, baseline = search
            page = timed(functools.partial(call, path, params))
            report("list page, message text (trigram index)", page, timed(baseline), sizes[path])
        conn.close()
    finally:
        from airflow_errorguard.storage.engine import dispose_engines

        dispose_engines()
        pg.drop_database(PG_URL, database)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
