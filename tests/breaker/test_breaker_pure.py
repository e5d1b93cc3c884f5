"""The breaker core imports nothing from Airflow (like the classification core)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]


def test_breaker_imports_no_airflow_module() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        from airflow_errorguard.breaker import Circuit, CircuitBreaker, MemoryCircuitStorage
        from airflow_errorguard.breaker.defaults import resolve_circuit
        b = CircuitBreaker(Circuit("x", failure_rate=None, consecutive_failures=1), MemoryCircuitStorage())
        b.record_failure("transient")
        loaded = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
        print(json.dumps({"airflow": loaded, "state": b.state().state.value}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"airflow": [], "state": "open"}


def test_the_probe_sees_airflow_when_it_is_imported() -> None:
    code = (
        "import json, sys; import airflow_errorguard.circuits.registry as c; c.get_circuit_breaker; "
        "import airflow_errorguard.hooks.errorguard; print(json.dumps('airflow' in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) is True
