"""Pure parts of alerting: grouping keys, the alert decision table, learning, rendering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airflow_errorguard.alerts.config import AlertConfig
from airflow_errorguard.alerts.content import Alert, CircuitInfo, errorguard_url, ti_url
from airflow_errorguard.alerts.decision import should_alert
from airflow_errorguard.retry.learning import learn

pytestmark = pytest.mark.unit


def test_incident_keys() -> None:
    cfg = AlertConfig()
    assert cfg.incident_key(dag_id="d", task_id="t", fingerprint="f") == "dag=d|fingerprint=f"
    assert AlertConfig(group_by=("fingerprint",)).incident_key(dag_id="d", task_id="t", fingerprint="f") == (
        "fingerprint=f"
    )
    assert cfg.incident_key(dag_id="d", task_id="t", fingerprint="f", inhibited_by="api") == "circuit=api"
    with_circuit = AlertConfig(group_by=("task", "circuit"))
    assert (
        with_circuit.incident_key(dag_id="d", task_id="t", fingerprint=None, circuit="api")
        == "task=t|circuit=api"
    )
    long = cfg.incident_key(dag_id="d" * 250, task_id="t", fingerprint="f")
    assert len(long) <= 200 and "#sha256=" in long
    assert long != cfg.incident_key(dag_id="d" * 249 + "e", task_id="t", fingerprint="f")


@pytest.mark.parametrize(
    ("kwargs", "alert", "why"),
    [
        ({"final": True, "category": "transient"}, True, "the task failed for good after 1 try"),
        ({"final": False, "category": "transient"}, False, "transient error with 3 retries left"),
        ({"final": False, "category": "configuration"}, True, "cannot be fixed by retrying"),
        ({"final": False, "category": "data"}, True, "cannot be fixed by retrying"),
        ({"final": False, "category": "system"}, False, "system error with 3 retries left"),
        ({"final": False, "category": "system", "try_number": 2}, True, "retries allowed for system errors"),
        ({"final": False, "category": "transient", "circuit_open": "api"}, True, "circuit api is open"),
        ({"final": False, "category": "unknown"}, False, "unknown error with 3 retries left"),
    ],
)
def test_decision_table(kwargs: dict, alert: bool, why: str) -> None:
    args = {"try_number": 1, "max_tries": 3, "system_max_retries": 1, **kwargs}
    decision = should_alert(**args)
    assert decision.alert is alert and why in decision.why


def test_learning_needs_enough_samples_and_flips_with_history() -> None:
    assert learn(["failed"] * 9, min_samples=10) is None
    fail = learn(["failed"] * 9 + ["success", None, "unknown"], min_samples=10)  # type: ignore[list-item]
    assert fail is not None and (fail.decision, fail.samples, fail.succeeded) == ("fail", 10, 1)
    assert fail.reason == "learned from 10 past occurrences: 1 succeeded on retry"
    retry = learn(["success"] * 13 + ["failed"], min_samples=10)
    assert retry is not None and retry.decision == "retry"
    assert retry.reason == "learned from 14 past occurrences: 13 succeeded on retry"
    learned = should_alert(
        final=False, category="unknown", try_number=1, max_tries=3, system_max_retries=1, learned=fail
    )
    assert learned.alert and "retrying has not helped before" in learned.why


def test_alert_text_and_dict() -> None:
    probe = datetime(2026, 1, 1, 12, tzinfo=UTC)
    alert = Alert(
        kind="alert",
        incident_key="dag=etl|fingerprint=abc",
        dag_id="etl",
        task_id="load",
        run_id="manual__2026-01-01T00:00:00+00:00",
        try_number=2,
        max_tries=2,
        category="data",
        reason="ValueError means a value is invalid; data",
        why_alert="the task failed for good after 2 tries",
        exception_type="ValueError",
        message="bad row 17",
        fingerprint="abc",
        occurrences_in_window=4,
        quarantined_in_run=3,
        circuit=CircuitInfo("warehouse", "open", probe),
        ti_url=ti_url("http://af:8080/", "etl", "manual__2026-01-01T00:00:00+00:00", "load"),
        errorguard_url=errorguard_url("http://af:8080", "etl", "r 1", "load"),
    )
    text = alert.text()
    for expected in (
        "[errorguard] etl.load: data error",
        "What: ValueError: bad row 17",
        "try 2/3",
        "Occurrences of this fingerprint (abc) in the last 24 h: 4",
        "Records quarantined by this run: 3",
        "Circuit warehouse: open, next probe 2026-01-01T12:00:00+00:00",
        "What to do: The input is bad",
        "Task instance: http://af:8080/dags/etl/runs/manual__2026-01-01T00%3A00%3A00%2B00%3A00/tasks/load",
        "errorguard: http://af:8080/errorguard/quarantine?dag_id=etl&run_id=r+1&task_id=load",
    ):
        assert expected in text, expected
    data = alert.to_dict()
    assert data["dedup_key"] == alert.dedup_key and data["dedup_key"].startswith("errorguard-")
    assert data["circuit"]["next_probe_at"] == probe.isoformat() and data["text"] == text
    assert ti_url("", "d", "r", "t") is None and ti_url("http://x", "d", "r", "t", 3).endswith("/mapped/3")
