"""
``make demo``: the example DAGs with injected faults, under a REAL Airflow 3 scheduler, and a
report of what errorguard did.

Sets up ``.airflow-demo/`` (gitignored): a SQLite metadata DB migrated by ``airflow db migrate``
(errorguard's tables included), then api-server + scheduler + dag-processor + triggerer with the
LocalExecutor on loopback — task code runs as in production, without the metadata ORM, and
reaches errorguard's tables through ``AIRFLOW_CONN_ERRORGUARD_DEFAULT``. It triggers every demo
DAG, waits for the runs, stops every process it started, and prints the report
(``scripts/demo_report.py``) read back from the database. ``make ui`` then serves the same home.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import threading
import time
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import demo_report  # noqa: E402
from tests.harness import AirflowEnv, RealAirflow  # noqa: E402

HOME = ROOT / ".airflow-demo"

#: (dag_id, conf) of the runs the demo triggers at once; the circuit's consumer comes after.
RUNS: tuple[tuple[str, dict[str, object]], ...] = (
    ("errorguard_decisions", {}),
    ("errorguard_orders_guarded", {"pricing_outage_at": 640}),
    ("errorguard_alerting", {}),
    ("shared_circuit_producer", {}),  # the CRM is down: trips the crm_api circuit
    ("errorguard_load_poison_rows", {}),  # the database rejects 3 % of the rows: bisection
)
CONSUMER = "shared_circuit_consumer"
#: How long crm_api stays open after the producer trips it: the consumer, triggered as soon as it
#: opens, must find it still open for its sensor to hold (poke_interval 10 s).
CRM_OPEN_SECONDS = 40


class _CrmApi(BaseHTTPRequestHandler):
    """The CRM, back up: answers every call with 200."""

    def _ok(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    do_GET = do_POST = _ok

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def demo_env() -> AirflowEnv:
    """The demo's Airflow home (also used by ``make ui``)."""
    db = f"sqlite:///{HOME / 'airflow.db'}"
    return AirflowEnv.create(
        HOME,
        db,
        extra_env={
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags_examples"),
            "AIRFLOW_CONN_ERRORGUARD_DEFAULT": db,
            "ORDERS_SINK_DB": str(HOME / "orders_sink.db"),
            "CRM_OPEN_SECONDS": str(CRM_OPEN_SECONDS),
        },
    )


def cli_hint(db_path: Path) -> list[str]:
    """The lines that point the ``errorguard`` CLI at the demo's database (printed at the end)."""
    url = f"sqlite:///{db_path.resolve()}"
    return [
        "Point the errorguard CLI at the demo's database (the URL may come before or after the command):",
        f"  export ERRORGUARD_URL={url}",
        "  .venv/bin/errorguard quarantine list",
        f"  # or, in one line: .venv/bin/errorguard --url {url} quarantine list",
    ]


def wait_until_circuit_open(db_path: Path, name: str, timeout: float = 300) -> None:
    """Poll errorguard's circuit table (read-only) until circuit *name* is open."""
    deadline = time.monotonic() + timeout
    uri = f"file:{db_path}?mode=ro"
    while time.monotonic() < deadline:
        try:
            with closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
                row = db.execute("SELECT state FROM errorguard_circuit WHERE name = ?", (name,)).fetchone()
        except sqlite3.Error:
            row = None
        if row and row[0] == "open":
            return
        time.sleep(0.5)
    raise TimeoutError(f"circuit {name!r} did not open within {timeout:.0f} s")


def _step(label: str, started: float) -> None:
    print(f"  {label:<58} {time.monotonic() - started:6.1f}s", flush=True)


def main() -> int:
    print(
        "errorguard demo: real Airflow 3 (scheduler, LocalExecutor, SQLite), "
        "example DAGs with injected faults"
    )
    shutil.rmtree(HOME, ignore_errors=True)
    env = demo_env()
    started = time.monotonic()
    env.migrate()
    _step("airflow db migrate (Airflow's and errorguard's tables)", started)
    run_ids: dict[str, str] = {}
    crm = ThreadingHTTPServer(("127.0.0.1", 0), _CrmApi)
    threading.Thread(target=crm.serve_forever, daemon=True).start()
    try:
        with RealAirflow(env, triggerer=True, startup_timeout=240) as af:
            _step(f"api-server, scheduler, dag-processor, triggerer up on {af.base_url}", started)
            af.wait_for_dag(CONSUMER)
            for dag_id, conf in RUNS:
                run_ids[dag_id] = af.trigger(dag_id, conf)
            # The producer trips crm_api; the CRM is back up by then, but the circuit is open: the
            # consumer, triggered at once, has its sensor hold the group (rescheduled, no worker
            # slot) until the open duration has passed; then its first call is the probe that
            # closes the circuit.
            wait_until_circuit_open(HOME / "airflow.db", "crm_api")
            _step("crm_api opened by the producer", started)
            crm_url = f"http://127.0.0.1:{crm.server_address[1]}/contacts"
            run_ids[CONSUMER] = af.trigger(CONSUMER, {"crm_api_url": crm_url})
            for dag_id in [*(d for d, _ in RUNS), CONSUMER]:
                state = af.wait_for_run(dag_id, run_ids[dag_id], timeout=600)
                _step(f"{dag_id}: run {state}", started)
    finally:
        crm.shutdown()
        crm.server_close()
    _step("every Airflow process stopped", started)
    demo_report.print_report(HOME / "airflow.db", HOME / "orders_sink.db", run_ids)
    print("\n" + "\n".join(cli_hint(HOME / "airflow.db")))
    print(
        "\nSee it in the Airflow UI: `make ui`, then open http://127.0.0.1:8080 (user admin, "
        "password admin) and the errorguard entry in the navigation."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
