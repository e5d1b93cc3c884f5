"""One process of tests/alerts/test_alert_burst.py: fail with the shared fingerprint at the barrier."""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

CONN = "eg_alert_burst"


def run(url: str, index: int, marker_dir: str, barrier: Any, results: Any) -> None:
    report: dict[str, Any] = {"index": index, "error": None}
    try:
        os.environ[f"AIRFLOW_CONN_{CONN.upper()}"] = url
        from airflow_errorguard.alerts.callback import ErrorGuardCallback
        from tests.alerts.helpers import FakeTI, context

        def notify(ctx: dict[str, Any]) -> None:
            (Path(marker_dir) / f"alert-{index}.txt").write_text(ctx["errorguard_alert_text"])

        callback = ErrorGuardCallback(notifiers=[notify], errorguard_conn_id=CONN)
        callback._hook().database.engine.connect().close()  # connect first: the race is on the claim
        barrier.wait(timeout=120)
        callback.on_failure(
            context(
                FakeTI("eg_burst", "load", f"run-{index}"), PermissionError("permission denied for orders")
            )
        )
    except Exception:
        report["error"] = traceback.format_exc()
    results.put(report)
