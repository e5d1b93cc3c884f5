"""Helpers of the storage tests (fixtures live in ``conftest.py``)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest

from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.tables import errorguard_metadata


class FakeClock:
    """An injectable clock: returns ``now`` until moved with :meth:`advance`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def empty_tables(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        for table in reversed(errorguard_metadata.sorted_tables):
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"TRUNCATE {table.name} RESTART IDENTITY")
            else:
                conn.execute(table.delete())


def migrated_url(request: pytest.FixtureRequest, tmp_path: Path, name: str) -> str:
    """For a fixture parametrised ``sqlite`` / ``postgres``: a fresh SQLite file with errorguard's
    tables, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
        upgrade(url)
        return url
    url = str(request.getfixturevalue("postgres_storage_url"))
    empty_tables(url)
    return url


def run_processes(
    procs: Sequence[BaseProcess],
    results: Any,
    *,
    timeout: float = 240.0,
    drive: Callable[[], object] | None = None,
) -> list[dict[str, Any]]:
    """Start *procs*, run *drive* (barrier choreography, if any), collect one report per process
    from the *results* queue; every process is joined or killed, and must exit 0."""
    for proc in procs:
        proc.start()
    reports: list[dict[str, Any]] = []
    try:
        if drive is not None:
            drive()
        for _ in procs:
            reports.append(results.get(timeout=timeout))
    except (queue.Empty, threading.BrokenBarrierError) as exc:
        with contextlib.suppress(queue.Empty):
            while True:
                reports.append(results.get_nowait())
        errors = [r["error"] for r in reports if r.get("error")]
        pytest.fail(
            f"only {len(reports)} of {len(procs)} workers finished ({type(exc).__name__}, deadlock?); "
            f"errors: {errors}"
        )
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    assert all(proc.exitcode == 0 for proc in procs), [proc.exitcode for proc in procs]
    return reports
