"""Child process of ``test_circuit_concurrency.py``: records outcomes into one shared circuit."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from typing import Any

from airflow_errorguard.breaker import CallContext, Circuit, CircuitBreaker
from airflow_errorguard.storage.circuits import SqlCircuitStorage
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine

CONFIG = Circuit(
    "shared_api", failure_rate=0.5, window=20, minimum_calls=10, open_duration=60, half_open_probes=3
)
FAILURES = 10  # per worker and cycle
ADMITS = 5  # per worker in half-open
CYCLES = 2


def run(url: str, worker: int, epoch: Any, barrier: Any, results: Any) -> None:
    """Each cycle: fail (trip), wait for the clock to pass the open duration, ask to call, report probes."""
    report: dict[str, Any] = {"worker": worker, "admitted": [], "error": None}
    try:

        def clock() -> datetime:
            return datetime.fromtimestamp(epoch.value, UTC)

        db = Database(get_engine(url), conn_id=f"worker-{worker}", clock=clock)
        breaker = CircuitBreaker(
            CONFIG, SqlCircuitStorage(db, attempts=10), clock=clock, context=CallContext(actor=f"w{worker}")
        )
        barrier.wait(timeout=120)
        for _ in range(CYCLES):
            for _ in range(FAILURES):
                breaker.record_failure("transient")
            barrier.wait(timeout=120)  # all failures in; the parent moves the clock
            barrier.wait(timeout=120)
            admitted = sum(breaker.admit().allowed for _ in range(ADMITS))
            report["admitted"].append(admitted)
            barrier.wait(timeout=120)  # all admissions in
            for _ in range(admitted):
                breaker.record_success()
            barrier.wait(timeout=120)  # cycle done
    except BaseException:
        report["error"] = traceback.format_exc()
        barrier.abort()
    results.put(report)
