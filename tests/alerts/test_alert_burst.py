"""8 processes fail with the same fingerprint at the same moment -> exactly one alert (SQLite, PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.incidents import IncidentRepository
from airflow_errorguard.storage.tables import error_event_table as e
from airflow_errorguard.storage.tables import incident_table
from tests.alerts import alert_worker as w
from tests.storage.helpers import migrated_url, run_processes

WORKERS = 8


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def burst_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return migrated_url(request, tmp_path, "burst")


def run_burst(url: str, markers: Path) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=w.run, args=(url, i, str(markers), barrier, results), daemon=True)
        for i in range(WORKERS)
    ]
    return run_processes(procs, results)


def test_eight_processes_one_alert(burst_url: str, tmp_path: Path) -> None:
    markers = tmp_path / "alerts"
    markers.mkdir()
    reports = run_burst(burst_url, markers)
    assert [r["error"] for r in reports if r["error"]] == []
    sent = sorted(markers.iterdir())
    assert len(sent) == 1, [p.name for p in sent]
    assert "permission denied" in sent[0].read_text()
    db = Database(get_engine(burst_url))
    (incident,) = IncidentRepository(db).list()
    assert (incident.occurrences, incident.notify_count, incident.suppressed_count) == (
        WORKERS,
        1,
        WORKERS - 1,
    )
    with db.engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(e).where(e.c.dag_id == "eg_burst")).scalar()
            == WORKERS
        )
        assert conn.execute(select(func.count()).select_from(incident_table)).scalar() == 1
    print(f"burst: {WORKERS} failures -> {len(sent)} alert, {incident.suppressed_count} suppressed")
