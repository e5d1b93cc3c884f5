"""
Circuit breaker: time to reject a call from shared state vs a call to a dead dependency.

1. Reject latency (p50/p99) of ``CircuitBreaker.before_call()`` on an open circuit whose state is
   in errorguard's tables (one read plus one counter increment), on SQLite and PostgreSQL, and the
   closed-circuit check (one read) for comparison.
2. Baselines measured in the same run: an HTTP call (``requests``) to a dependency that accepts
   connections but never answers, with a typical client timeout (``$ERRORGUARD_BENCH_TIMEOUT``,
   default 5 s), and a call to a closed port (connection refused: the cheap kind of "down").

PostgreSQL: ``$ERRORGUARD_BENCH_PG_URL`` or ``$ERRORGUARD_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``); a database ``errorguard_bench_<hex>`` is created
and dropped. Run with ``make bench`` (or ``python benchmarks/bench_circuit.py``).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

from airflow_errorguard.breaker import Circuit, CircuitBreaker
from airflow_errorguard.exceptions import CircuitOpenError
from airflow_errorguard.storage.circuits import SqlCircuitStorage
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import dispose_engines, get_engine
from airflow_errorguard.storage.migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from bench_storage import postgres_database

REJECTS = int(os.environ.get("ERRORGUARD_BENCH_REJECTS", "2000"))
TIMEOUT = float(os.environ.get("ERRORGUARD_BENCH_TIMEOUT", "5"))
HANGING_CALLS = int(os.environ.get("ERRORGUARD_BENCH_HANGING_CALLS", "3"))
CIRCUIT = Circuit(
    "bench_api", failure_rate=None, consecutive_failures=1, open_duration=3600, max_open_duration=3600
)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_rejects(label: str, url: str) -> float:
    """Print reject and closed-check latencies on *url*; return the reject p50 in seconds."""
    upgrade(url)
    breaker = CircuitBreaker(CIRCUIT, SqlCircuitStorage(Database(get_engine(url))))
    closed = CircuitBreaker(CIRCUIT.with_overrides(name="bench_closed"), breaker.storage)
    closed.record_success()
    breaker.record_failure("transient")  # trips it
    for _ in range(50):  # warm the pool and caches
        with contextlib.suppress(CircuitOpenError):
            breaker.before_call()
    rejects, checks = [], []
    for _ in range(REJECTS):
        start = time.perf_counter()
        try:
            breaker.before_call()
        except CircuitOpenError:
            rejects.append(time.perf_counter() - start)
        start = time.perf_counter()
        closed.before_call()
        checks.append(time.perf_counter() - start)
    assert len(rejects) == REJECTS, "every call must be rejected while the circuit is open"
    snap = breaker.state()
    assert snap.total_rejected == REJECTS + 50, snap.total_rejected
    print(
        f"  {label:<10} reject from shared state: p50 {percentile(rejects, 50) * 1e3:7.2f} ms  "
        f"p99 {percentile(rejects, 99) * 1e3:7.2f} ms   closed check: p50 "
        f"{percentile(checks, 50) * 1e3:6.2f} ms  p99 {percentile(checks, 99) * 1e3:6.2f} ms  "
        f"({REJECTS} calls)"
    )
    return statistics.median(rejects)


def hanging_call_seconds() -> tuple[float, float]:
    """Median duration of an HTTP call to a silent server (timeout) and to a closed port."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # never accepted: the handshake completes, no response ever comes
    port = silent.getsockname()[1]
    hanging = []
    try:
        for _ in range(HANGING_CALLS):
            start = time.perf_counter()
            with contextlib.suppress(requests.RequestException):
                requests.get(f"http://127.0.0.1:{port}/health", timeout=TIMEOUT)
            hanging.append(time.perf_counter() - start)
    finally:
        silent.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = []
    for _ in range(50):
        start = time.perf_counter()
        with contextlib.suppress(requests.RequestException):
            requests.get(f"http://127.0.0.1:{closed_port}/health", timeout=TIMEOUT)
        refused.append(time.perf_counter() - start)
    return statistics.median(hanging), statistics.median(refused)


def main() -> int:
    began = time.perf_counter()
    print(f"errorguard circuit benchmark (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"1. baselines: HTTP call to a dependency that never answers (client timeout {TIMEOUT:g} s)")
    hanging, refused = hanging_call_seconds()
    print(
        f"  silent dependency: {hanging:.2f} s per call ({HANGING_CALLS} calls); "
        f"connection refused: {refused * 1e3:.2f} ms per call"
    )
    print("2. rejecting the call from the circuit's shared state instead")
    workdir = Path(tempfile.mkdtemp(prefix="errorguard-bench-circuit-"))
    results = {}
    try:
        results["SQLite"] = bench_rejects("SQLite", f"sqlite:///{workdir / 'bench.db'}")
    finally:
        dispose_engines()
        shutil.rmtree(workdir, ignore_errors=True)
    with postgres_database() as url:
        if url:
            results["PostgreSQL"] = bench_rejects("PostgreSQL", url)
    for label, p50 in results.items():
        print(
            f"  {label}: rejecting is {hanging / p50:,.0f}x faster than waiting for the timeout; "
            f"a refused connection takes {refused / p50:.2f}x a reject"
        )
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
