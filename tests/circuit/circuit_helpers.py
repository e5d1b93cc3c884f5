"""Helpers of the circuit tests on real Airflow (dag.test() and the real scheduler)."""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.harness import AirflowEnv

DAG_FILE = Path(__file__).parent / "dags" / "eg_circuit_proof.py"


def free_port() -> int:
    """A loopback port nobody listens on (the dead dependency)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_service() -> Iterator[int]:
    """A loopback 'service' that accepts connections (the dependency once it is back)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def circuit_vars(env: AirflowEnv, out: Path, live: int, open_s: float) -> tuple[dict[str, str], str]:
    """Environment of the proof DAGs, with a circuit name unique to the test."""
    name = f"eg_dead_{secrets.token_hex(4)}"
    return {
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn,
        "EG_CIRCUIT": name,
        "EG_DEAD_PORT": str(free_port()),
        "EG_LIVE_PORT": str(live),
        "EG_CIRCUIT_OUT": str(out),
        "EG_OPEN_S": str(open_s),
    }, name


def reports(out: Path, name: str) -> list[dict[str, Any]]:
    path = out / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def events(env: AirflowEnv, name: str) -> list[dict[str, Any]]:
    return env.query(
        "SELECT from_state, to_state, reason, actor, dag_id, task_id, next_probe_at, created_at "
        "FROM errorguard_circuit_event WHERE circuit_name = :name ORDER BY id",
        name=name,
    )


def circuit_row(env: AirflowEnv, name: str) -> dict[str, Any]:
    (row,) = env.query(
        "SELECT state, total_calls, total_failures, total_rejected, trip_count FROM errorguard_circuit "
        "WHERE name = :name",
        name=name,
    )
    return row


def as_dt(value: Any) -> datetime:
    """An aware datetime from an ISO string or a DB value (naive values are UTC)."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace(" ", "T"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
