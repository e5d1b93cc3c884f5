"""SIGKILL a worker process at the moment it reports, through a marker file, that it got there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def sigkill_at_marker(module: str, args: list[str], marker: Path, where: str) -> None:
    """
    Run ``python -m module *args`` from the repository root and SIGKILL it as soon as *marker*
    exists (waiting up to a minute); assert that it got *where* and died of the signal.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", module, *args]
    worker = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE)
    try:
        for _ in range(1200):
            if marker.exists() or worker.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), f"the worker never reached {where} (exit {worker.poll()})"
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        if worker.stdout is not None:
            worker.stdout.close()


def run_worker(module: str, args: list[str]) -> dict[str, Any]:
    """Run ``python -m module *args`` to the end; it must exit 0. Its last stdout line, as JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", module, *args]
    done = subprocess.run(argv, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
