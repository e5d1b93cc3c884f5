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
import sys
import threading
import time
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
CRM_OPEN_SECONDS = 20


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
            for dag_id, conf in RUNS:
                run_ids[dag_id] = af.trigger(dag_id, conf)
            for dag_id, _ in RUNS:
                state = af.wait_for_run(dag_id, run_ids[dag_id], timeout=600)
                _step(f"{dag_id}: run {state}", started)
            # The CRM is back, but the circuit is open: the consumer's sensor holds its tasks
            # until the open duration has passed, then the first call is the probe that closes it.
            crm_url = f"http://127.0.0.1:{crm.server_address[1]}/contacts"
            run_ids[CONSUMER] = af.trigger(CONSUMER, {"crm_api_url": crm_url})
            state = af.wait_for_run(CONSUMER, run_ids[CONSUMER], timeout=600)
            _step(f"{CONSUMER}: run {state}", started)
    finally:
        crm.shutdown()
        crm.server_close()
    _step("every Airflow process stopped", started)
    demo_report.print_report(HOME / "airflow.db", HOME / "orders_sink.db", run_ids)
    print(
        "\nSee it in the Airflow UI: `make ui`, then open http://127.0.0.1:8080 (user admin, "
        "password admin) and the errorguard entry in the navigation."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
