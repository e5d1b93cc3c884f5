"""The notifiers shipped in ``airflow_errorguard.alerts.notifiers`` (used by the docs and the example)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_errorguard.alerts.notifiers import FileNotifier, LogNotifier

pytestmark = pytest.mark.airflow

CONTEXT = {
    "errorguard_alert_text": "orders.load failed: configuration (bad password)",
    "errorguard_alert": {"kind": "alert", "title": "orders.load failed", "dedup_key": "k1"},
}


def test_file_notifier_appends_one_json_line_per_alert(tmp_path: Path) -> None:
    target = tmp_path / "alerts" / "errorguard.jsonl"
    notifier = FileNotifier(target)
    notifier.notify(CONTEXT)
    notifier.notify({**CONTEXT, "errorguard_alert": {**CONTEXT["errorguard_alert"], "kind": "resolved"}})
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["alert", "resolved"]
    assert lines[0]["dedup_key"] == "k1"


def test_log_notifier_writes_the_alert_text(capfd: pytest.CaptureFixture[str]) -> None:
    """Through the notifier's (structlog) task logger, which Airflow routes to the task log."""
    LogNotifier().notify(CONTEXT)
    out, err = capfd.readouterr()
    assert "orders.load failed: configuration (bad password)" in out + err
    with pytest.raises(ValueError, match="unknown logging level 'LOUD'"):
        LogNotifier(level="loud").notify(CONTEXT)
