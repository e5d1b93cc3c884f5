"""The pure core (classification, backoff, in-process retry) imports nothing from Airflow."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
PURE_MODULES = [
    "airflow_errorguard.classification.classifier",
    "airflow_errorguard.classification.defaults",
    "airflow_errorguard.backoff",
    "airflow_errorguard.retry.runner",
]


def _import_in_subprocess(code: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_pure_core_imports_no_airflow_module() -> None:
    report = _import_in_subprocess(
        f"""
        import importlib, json, sys
        before = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
        for name in {PURE_MODULES!r}:
            importlib.import_module(name)
        from airflow_errorguard.classification.classifier import Classifier
        from airflow_errorguard.backoff import Backoff
        from airflow_errorguard.retry.runner import run_with_retry
        verdict = Classifier().classify(ConnectionResetError(104, "reset"))
        waits = []
        calls = []
        def flaky():
            calls.append(1)
            if len(calls) < 2:
                raise TimeoutError("timed out")
            return "ok"
        result = run_with_retry(flaky, backoff=Backoff(base_delay=0, max_delay=0), classifier=Classifier(),
                                sleep=waits.append)
        after = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
        print(json.dumps({{"before": before, "after": after, "category": verdict.category.value,
                           "result": result, "waits": waits}}))
        """
    )
    assert report["before"] == []
    assert report["after"] == [], f"the pure core imported {report['after']}"
    # ...and it still works there.
    assert report["category"] == "transient"
    assert report["result"] == "ok"
    assert report["waits"] == [0.0]


def test_an_operator_module_does_import_airflow() -> None:
    """Guards the check above: the probe does see Airflow when a module really imports it."""
    report = _import_in_subprocess(
        """
        import json, sys
        import airflow_errorguard.operators.guarded
        print(json.dumps({"airflow": "airflow.sdk" in sys.modules}))
        """
    )
    assert report["airflow"] is True
