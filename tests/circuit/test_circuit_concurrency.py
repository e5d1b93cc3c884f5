"""8 processes share one circuit on SQLite and PostgreSQL.

Proves, per trip: exactly one closed -> open transition, half-open admits exactly
``half_open_probes`` calls across all processes, one open -> half_open and one half_open -> closed,
and the counters add up (every call, failure and rejection counted once).
"""

from __future__ import annotations

import multiprocessing
import queue
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from airflow_errorguard.storage.circuits import SqlCircuitStorage
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.migrate import upgrade
from tests.circuit import circuit_concurrency_worker as w
from tests.storage.helpers import empty_tables

WORKERS = 8
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def concurrent_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'circuit-concurrency.db'}"
        upgrade(url)
        return url
    url = str(request.getfixturevalue("postgres_storage_url"))
    empty_tables(url)
    return url


def run_workers(url: str) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS + 1)
    epoch = ctx.Value("d", START)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=w.run, args=(url, i, epoch, barrier, results), daemon=True) for i in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    reports = []
    try:
        barrier.wait(timeout=180)  # everyone connected
        for _ in range(w.CYCLES):
            barrier.wait(timeout=180)  # failures recorded
            with epoch.get_lock():
                epoch.value += w.CONFIG.open_seconds(1)
            barrier.wait(timeout=180)
            barrier.wait(timeout=180)  # admissions made
            barrier.wait(timeout=180)  # probes reported
        for _ in procs:
            reports.append(results.get(timeout=120))
    except (queue.Empty, multiprocessing.BrokenBarrierError):  # type: ignore[attr-defined]
        while not results.empty():
            reports.append(results.get_nowait())
        pytest.fail(f"workers did not finish: {[r['error'] for r in reports if r['error']]}")
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    return reports


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
