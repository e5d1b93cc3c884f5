"""A real ``airflow api-server`` with the errorguard plugin, per-DAG users and seeded quarantine rows.

Users (SimpleAuthManager passwords = user names), rights via :mod:`tests.ui.per_dag_auth_manager`:

- ``admin`` (Admin role): everything.
- ``alice``: read and change DAG ``eg_ui_alpha`` only.
- ``bob``: read DAG ``eg_ui_beta`` only.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from tests.harness.airflow_env import AirflowEnv
from tests.ui.api_server import ApiServer

REPO_ROOT = Path(__file__).resolve().parents[2]
AUTH_MANAGER = "tests.ui.per_dag_auth_manager.PerDagAuthManager"
ALPHA, BETA = "eg_ui_alpha", "eg_ui_beta"
USERS = {"admin": "admin", "alice": "viewer", "bob": "viewer"}
RIGHTS = {"alice": {ALPHA: ["GET", "PUT"]}, "bob": {BETA: ["GET"]}}
XSS = "<script>alert('eg-xss')</script>"
DAG_FILE = """
import pendulum
from airflow.sdk import dag, task

for dag_id in ({alpha!r}, {beta!r}):
    @dag(dag_id=dag_id, schedule=None, start_date=pendulum.datetime(2026, 1, 1), catchup=False)
    def _build():
        @task
        def load():
            return None

        load()

    globals()[dag_id] = _build()
"""


@dataclass
class UiServer:
    """The running api-server, its home, and the ids of the seeded rows."""

    server: ApiServer
    env: AirflowEnv
    ids: dict[str, list[int]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def token(self, user: str) -> str:
        return self.server.token_for(user, user)

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def database(self) -> Database:
        return Database(create_engine(self.env.sql_alchemy_conn, poolclass=NullPool))


def seed(db: Database) -> dict[str, list[int]]:
    """Rows on both DAGs: ordinary ones, one with an XSS payload/message, one per category."""
    repo = QuarantineRepository(db)
    ids: dict[str, list[int]] = {}
    for dag_id in (ALPHA, BETA):
        identity = TaskIdentity(dag_id=dag_id, task_id="load", run_id="manual__2026-11-23", try_number=1)
        items = [
            QuarantineItem(
                record_key=f"{dag_id}-{n}",
                payload={"order": n, "dag": dag_id, "email": f"user{n}@example.com"},
                error_category="data" if n % 2 else "transient",
                error_type="builtins.ValueError",
                error_message=f"bad amount in order {n}",
                fingerprint=f"fp-{dag_id}-{n % 3}",
                reason="the record failed validation",
            )
            for n in range(1, 8)
        ]
        items.append(
            QuarantineItem(
                record_key=f"{dag_id}-xss",
                payload={"comment": XSS},
                error_category="data",
                error_type="builtins.ValueError",
                error_message=f"cannot parse {XSS}",
                fingerprint="fp-xss",
            )
        )
        if dag_id == ALPHA:
            items.append(
                QuarantineItem(
                    record_key=LONG_KEY,
                    payload={"order": 99},
                    error_category="data",
                    error_type="pandas.errors.ParserError",
                    error_message="while loading batch 7 of orders.csv from s3://bucket/very/long/prefix " * 3
                    + "\n"
                    + LONG_TAIL,
                    fingerprint="fp-long",
                )
            )
        repo.add(identity, items)
        ids[dag_id] = [r.id for r in repo.page(None, limit=100, dag_ids=[dag_id]).items]
    return ids


CIRCUIT = "crm_api"
#: A circuit that tripped (from a task) and was closed again: its last error is history.
RECOVERED = "billing_api"
LONG_KEY = f"{ALPHA}-long"
LONG_TAIL = "ValueError: amount 'abc' in column total is not a number"


def seed_ops(db: Database) -> None:
    """A circuit with a few failures, two incidents and error events for the patterns page."""
    from datetime import timedelta

    from airflow_errorguard.breaker.breaker import CircuitBreaker
    from airflow_errorguard.breaker.config import Circuit
    from airflow_errorguard.storage.circuits import SqlCircuitStorage
    from airflow_errorguard.storage.events import ErrorEvent, ErrorEventRepository
    from airflow_errorguard.storage.incidents import IncidentRepository, Observation

    storage = SqlCircuitStorage(db)
    config = Circuit(name=CIRCUIT, minimum_calls=10, window=20)
    breaker = CircuitBreaker(config, storage)
    breaker.record_success()
    storage.save_config(config)
    breaker.record_failure("transient", error=ConnectionError("refused <b>x</b>"))
    incidents = IncidentRepository(db)
    for dag_id in (ALPHA, BETA):
        incidents.observe(
            Observation(
                incident_key=f"inc-{dag_id}",
                error_category="transient",
                fingerprint=f"fp-{dag_id}-1",
                dag_id=dag_id,
            ),
            repeat_interval=timedelta(hours=1),
        )
    from airflow_errorguard.breaker.state import CallContext

    task = CallContext(actor=f"{ALPHA}.load", dag_id=ALPHA, task_id="load", run_id="manual__2026-11-23")
    recovered = Circuit(name=RECOVERED, minimum_calls=2, window=4)
    tripping = CircuitBreaker(recovered, storage, context=task)
    storage.save_config(recovered)
    for _ in range(3):
        tripping.record_failure("transient", error=TimeoutError("billing timed out"))
    CircuitBreaker(recovered, storage).force_close(actor="admin", note="billing is back")
    for _ in range(3):  # one alert, then repeats inside the repeat interval (suppressed)
        incidents.observe(
            Observation(
                incident_key=f"inc-{ALPHA}",
                error_category="transient",
                fingerprint=f"fp-{ALPHA}-1",
                dag_id=ALPHA,
            ),
            repeat_interval=timedelta(hours=1),
        )
    events = ErrorEventRepository(db)
    for dag_id in (ALPHA, BETA):
        identity = TaskIdentity(dag_id=dag_id, task_id="load", run_id="manual__2026-11-23", try_number=1)
        events.append_many(
            ErrorEvent(
                identity=identity, error_category="data", action="quarantine", fingerprint=f"fp-{dag_id}-1"
            )
            for _ in range(3)
        )


@pytest.fixture(scope="session")
def ui_server() -> Iterator[UiServer]:
    """Migrate a SQLite home, register the two DAGs, seed rows, start the api-server."""
    home = Path(tempfile.mkdtemp(prefix="errorguard-ui-")).resolve()
    env = AirflowEnv.create(
        home,
        extra_env={
            "AIRFLOW__CORE__AUTH_MANAGER": AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
            "EG_TEST_DAG_RIGHTS": json.dumps(RIGHTS),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        },
    )
    Path(env.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).write_text(
        json.dumps({u: u for u in USERS})
    )
    env.add_dag_file(DAG_FILE.format(alpha=ALPHA, beta=BETA), "eg_ui_dags.py")
    env.migrate()
    env.cli("dags", "reserialize")
    db = Database(create_engine(env.sql_alchemy_conn, poolclass=NullPool))
    ids = seed(db)
    seed_ops(db)
    db.engine.dispose()
    server = ApiServer(env, extra_env={"AIRFLOW__CORE__AUTH_MANAGER": AUTH_MANAGER}, startup_timeout=240)
    with server:
        yield UiServer(server=server, env=env, ids=ids)
