"""
The docker-compose topology, for real on loopback: CeleryExecutor, PostgreSQL metadata database,
Redis broker and result backend, TWO Celery workers, scheduler, dag-processor, api-server, and the
errorguard connection through the least-privilege role of ``deploy/init-errorguard-role.sql``.

Two runs of the orders example are queued together, and the shared-circuit example runs next to
them. Each worker has one task slot and Celery acknowledges a task only when it ends
(``task_acks_late``, prefetch multiplier 1), so a busy worker takes no second task and both
workers run tasks. Every task reaches errorguard's tables through
``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` from whichever worker it lands on: the orders runs end in
their documented state, and the circuit one worker's failures opened is closed by a probe that
may run on the other.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest
import redis
from sqlalchemy.engine import make_url

from tests.harness import AirflowEnv
from tests.harness import postgres as pg
from tests.harness.celery_airflow import REDIS_HOST, REDIS_PORT, CeleryAirflow

pytestmark = [pytest.mark.airflow, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "dags_examples"
ROLE_SQL = ROOT / "deploy" / "init-errorguard-role.sql"
ORDERS_DAG = "errorguard_orders_guarded"
PRODUCER_DAG, CONSUMER_DAG = "shared_circuit_producer", "shared_circuit_consumer"
EXAMPLE_FILES = ("orders_guarded.py", "shared_circuit_producer.py", "shared_circuit_consumer.py")


def _execute(url: str, statement: str) -> None:
    """Run *statement* as psql would (no parameters, autocommit) on the database of *url*."""
    conn = psycopg2.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def celery_env() -> Iterator[tuple[AirflowEnv, str]]:
    """A migrated Airflow home on a PostgreSQL database of its own (dropped afterwards), and the
    URL of the least-privilege role ``deploy/init-errorguard-role.sql`` creates in it, as the
    compose file's ``errorguard-role`` service does."""
    server = pg.admin_url()
    try:
        database = pg.create_database(server, prefix="errorguard_celery_")
    except (psycopg2.Error, OSError) as exc:
        pg.unreachable(exc, server)
    home = Path(tempfile.mkdtemp(prefix="errorguard-celery-")).resolve()
    role = f"errorguard_worker_{secrets.token_hex(4)}"
    url = pg.airflow_url(server, database)
    try:
        env = AirflowEnv.create(home, url)
        env.migrate()
        script = ROLE_SQL.read_text().replace("errorguard_worker", role)
        _execute(url, script.replace("ON DATABASE airflow", f'ON DATABASE "{database}"'))
        role_url = make_url(url).set(drivername="postgresql", username=role, password="errorguard")
        yield env, role_url.render_as_string(hide_password=False)
    finally:
        try:
            pg.drop_database(server, database)
            _execute(server, f'DROP ROLE IF EXISTS "{role}"')
        finally:
            shutil.rmtree(home, ignore_errors=True)


def _redis_reachable() -> None:
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if pg.in_ci():
            pytest.fail(f"Redis at {REDIS_HOST}:{REDIS_PORT} is unreachable under CI=true: {exc}")
        pytest.skip(f"Redis at {REDIS_HOST}:{REDIS_PORT} is unreachable: {exc}")
    finally:
        client.close()


class FakeCrm:
    """A CRM endpoint on loopback that answers 200 and counts the calls it got."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def _ok(self) -> None:
                calls.append(f"{self.command} {self.path}")
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _ok

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/contacts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeCrm:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_examples_run_across_two_celery_workers(
    celery_env: tuple[AirflowEnv, str], tmp_path: Path, e2e_figures: list[str]
) -> None:
    _redis_reachable()
    env, errorguard_conn = celery_env
    sink = tmp_path / "orders.db"
    for name in EXAMPLE_FILES:
        env.add_dag_file(EXAMPLES / name, name)
    redis_db = CeleryAirflow.free_redis_db()
    extra = {
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": errorguard_conn,
        "ORDERS_SINK_DB": str(sink),
        "CRM_OPEN_SECONDS": "15",  # the circuit's open duration, read when the DAG files load
        "CRM_SENSOR_TIMEOUT": "300",
    }

    with (
        CeleryAirflow(env, redis_db=redis_db, workers=2, concurrency=1, extra_env=extra) as af,
        FakeCrm() as crm,
    ):
        assert af.env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        # Both orders runs are created while the DAG is still paused, so that the scheduler queues
        # their first tasks together once it is unpaused.
        af.wait_for_dag(ORDERS_DAG)
        runs = [_create_run(af, ORDERS_DAG), _create_run(af, ORDERS_DAG)]
        af.unpause(ORDERS_DAG)
        # Meanwhile the CRM is down (a closed port): the producer's three calls fail on whichever
        # worker they land, and trip the shared circuit in errorguard's tables.
        producer_run = af.trigger(PRODUCER_DAG)
        states = [af.wait_for_run(ORDERS_DAG, run, timeout=600) for run in runs]
        producer_state = af.wait_for_run(PRODUCER_DAG, producer_run, timeout=600)
        tripped = _circuit(env)
        # The CRM is back: the consumer's sensor holds while the circuit is open, then its first
        # call is the half-open probe, which succeeds and closes the circuit for everyone.
        consumer_run = af.trigger(CONSUMER_DAG, conf={"crm_api_url": crm.url})
        consumer_state = af.wait_for_run(CONSUMER_DAG, consumer_run, timeout=600)
        task_instances = {run: af.task_instances(ORDERS_DAG, run) for run in runs}
        hostnames = {
            **{run: af.ti_hostnames(ORDERS_DAG, run) for run in runs},
            PRODUCER_DAG: af.ti_hostnames(PRODUCER_DAG, producer_run),
            CONSUMER_DAG: af.ti_hostnames(CONSUMER_DAG, consumer_run),
        }
        consumer_tis = af.task_instances(CONSUMER_DAG, consumer_run)

    per_worker = Counter(host for per_run in hostnames.values() for host in per_run.values())
    used = set(per_worker)
    assert used == {"worker-1", "worker-2"}, hostnames  # both workers ran tasks, and only they did
    # Orders: each run ends in the example's documented state.
    assert states == ["success", "success"], task_instances
    for run in runs:
        _assert_orders_run(env, run, task_instances[run])
    with sqlite3.connect(sink) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM orders ORDER BY id")]
    assert ids == [i for i in range(1000) if i % 50 != 0]
    # Shared circuit: tripped by the producer, closed again by the consumer's probe.
    assert producer_state == "failed"
    assert (tripped["state"], tripped["total_failures"], tripped["trip_count"]) == ("open", 3, 1)
    assert consumer_state == "success", consumer_tis
    assert {task: ti["state"] for task, ti in consumer_tis.items()} == dict.fromkeys(
        ("wait_for_crm", "refresh_segments", "export_report"), "success"
    )
    assert crm.calls == ["GET /contacts"]  # one probe; the producer never reached a live CRM
    assert _circuit(env)["state"] == "closed"
    moves = env.query(
        "SELECT from_state, to_state FROM errorguard_circuit_event WHERE circuit_name = 'crm_api' ORDER BY id"
    )
    assert (moves[0]["from_state"], moves[0]["to_state"]) == ("closed", "open"), moves
    assert moves[-1]["to_state"] == "closed", moves
    e2e_figures.append(
        f"celery topology (CeleryExecutor + Redis, PostgreSQL, 2 workers): {sum(per_worker.values())} task "
        f"instances ({', '.join(f'{w}: {n}' for w, n in sorted(per_worker.items()))}); orders x2 -> "
        f"{len(ids)} sink rows, 2 x 20 quarantined; crm_api opened by 3 failures, closed by 1 probe"
    )
    # Nothing left in the broker's database.
    leftover = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=redis_db)
    try:
        assert leftover.dbsize() == 0
    finally:
        leftover.close()


def _circuit(env: AirflowEnv) -> dict[str, object]:
    (row,) = env.query(
        "SELECT state, total_failures, trip_count FROM errorguard_circuit WHERE name = 'crm_api'"
    )
    return row


def _assert_orders_run(env: AirflowEnv, run: str, task_instances: dict[str, dict[str, object]]) -> None:
    clean = task_instances["clean"]
    assert (clean["state"], clean["try_number"]) == ("success", 1), task_instances
    assert task_instances["replay_fixed"]["state"] == "success"
    rows = env.query(
        "SELECT record_key, status, error_category, try_number FROM errorguard_quarantine "
        "WHERE dag_id = :dag AND (run_id = :run OR last_seen_run_id = :run)",
        dag=ORDERS_DAG,
        run=run,
    )
    # The 20 malformed orders quarantined once, as data errors, by the first try: stored by this run,
    # or met again by it while the other run's rows were still open (counted there, not stored twice).
    assert sorted(int(str(r["record_key"])) for r in rows) == list(range(0, 1000, 50))
    assert {(r["status"], r["error_category"], r["try_number"]) for r in rows} == {("quarantined", "data", 1)}
    checkpoint = env.query(
        "SELECT position FROM errorguard_checkpoint "
        "WHERE dag_id = :dag AND run_id = :run AND task_id = 'clean'",
        dag=ORDERS_DAG,
        run=run,
    )
    assert checkpoint == [{"position": "1000"}]


def _create_run(af: CeleryAirflow, dag_id: str) -> str:
    run = af.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json_body={"logical_date": None, "conf": {}})
    return str(run["dag_run_id"])
