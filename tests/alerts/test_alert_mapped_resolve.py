"""A mapped task's success resolves an incident only when no other map index still fails in it.

Found by tests/scenarios: map index 1 failed for good with a configuration error, map index 2
succeeded on its retry, and that success sent a "resolved" notice for map index 1's incident.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_errorguard.alerts.callback import ErrorGuardCallback
from airflow_errorguard.alerts.config import AlertConfig
from airflow_errorguard.storage.database import Database
from tests.alerts.helpers import FakeTI, Recorder, context
from tests.storage.helpers import FakeClock

pytestmark = pytest.mark.airflow
CONN = "eg_alert_mapped"


@pytest.fixture
def make(db: Database, clock: FakeClock, storage_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN.upper()}", storage_url)

    def build(*notifiers: Any, **config: Any) -> ErrorGuardCallback:
        return ErrorGuardCallback(
            notifiers=notifiers, errorguard_conn_id=CONN, config=AlertConfig(**config), clock=clock
        )

    return build


@pytest.mark.parametrize("group_by", [("dag", "fingerprint"), ("dag", "task")])
def test_success_of_another_map_index_does_not_resolve(make: Any, group_by: tuple[str, ...]) -> None:
    rec = Recorder()
    cb = make(rec, group_by=group_by)
    failed = FakeTI("etl", "enrich", "r1", max_tries=2, map_index=1, state="failed")
    cb(context(failed, PermissionError("permission denied for schema warehouse")))
    assert rec.kinds == ["alert"]

    cb(context(FakeTI("etl", "enrich", "r1", try_number=2, max_tries=2, map_index=2, state="success")))
    cb(context(FakeTI("etl", "enrich", "r1", try_number=1, max_tries=2, map_index=0, state="success")))
    assert rec.kinds == ["alert"], "map index 1 is still failing: nothing is resolved"

    # Map index 1 cleared and run again: now the task succeeds everywhere and the incident resolves.
    cb(context(FakeTI("etl", "enrich", "r1", try_number=2, max_tries=2, map_index=1, state="success")))
    assert rec.kinds == ["alert", "resolved"]
    assert rec.alerts[1]["incident_key"] == rec.alerts[0]["incident_key"]


def test_a_later_run_whose_map_indexes_all_succeed_resolves(make: Any) -> None:
    rec = Recorder()
    cb = make(rec)
    cb(context(FakeTI("etl", "enrich", "r1", map_index=1, state="failed"), PermissionError("denied")))
    cb(context(FakeTI("etl", "enrich", "r2", map_index=0, state="success")))
    assert rec.kinds == ["alert", "resolved"], "the run r1 failure does not hold back run r2's success"
