"""8 processes share one circuit on SQLite and PostgreSQL.

Proves, per trip: exactly one closed -> open transition, half-open admits exactly
``half_open_probes`` calls across all processes, one open -> half_open and one half_open -> closed,
and the counters add up (every call, failure and rejection counted once).
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from airflow_errorguard.storage.circuits import SqlCircuitStorage
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from tests.circuit import circuit_concurrency_worker as w
from tests.storage.helpers import migrated_url, run_processes

WORKERS = 8
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def concurrent_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return migrated_url(request, tmp_path, "circuit-concurrency")


def run_workers(url: str) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS + 1)
    epoch = ctx.Value("d", START)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=w.run, args=(url, i, epoch, barrier, results), daemon=True) for i in range(WORKERS)
    ]

    def drive() -> None:
        barrier.wait(timeout=180)  # everyone connected
        for _ in range(w.CYCLES):
            barrier.wait(timeout=180)  # failures recorded
            with epoch.get_lock():
                epoch.value += w.CONFIG.open_seconds(1)
            barrier.wait(timeout=180)
            barrier.wait(timeout=180)  # admissions made
            barrier.wait(timeout=180)  # probes reported

    return run_processes(procs, results, timeout=120, drive=drive)


def test_one_transition_per_trip_and_exact_probes(concurrent_url: str) -> None:
    reports = run_workers(concurrent_url)
    errors = [r["error"] for r in reports if r["error"]]
    assert not errors, "\n".join(errors)

    admitted_per_cycle = [sum(r["admitted"][cycle] for r in reports) for cycle in range(w.CYCLES)]
    assert admitted_per_cycle == [w.CONFIG.half_open_probes] * w.CYCLES

    storage = SqlCircuitStorage(Database(get_engine(concurrent_url)))
    events = [(e.from_state, e.to_state) for e in reversed(storage.events("shared_api"))]
    assert events == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")] * w.CYCLES

    snap = storage.load("shared_api")
    assert snap is not None and snap.state.value == "closed"
    failures = WORKERS * w.FAILURES * w.CYCLES
    probes = w.CONFIG.half_open_probes * w.CYCLES
    assert snap.total_failures == failures
    assert snap.total_calls == failures + probes
    assert snap.total_rejected == (WORKERS * w.ADMITS - w.CONFIG.half_open_probes) * w.CYCLES
    # Every state change bumped the version exactly once: no lost update.
    assert snap.version >= 1 + w.CYCLES * 3
