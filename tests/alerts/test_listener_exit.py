"""A process that ends while the listener is still recording waits for the record (bounded)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from airflow_errorguard.listeners import failures

pytestmark = pytest.mark.unit


def test_exit_waits_for_a_record_being_written(tmp_path: Path) -> None:
    done = tmp_path / "recorded"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from airflow_errorguard.hooks import runtime
        from airflow_errorguard.listeners import failures

        runtime.orm_blocked = lambda: False  # a server process: the record is written from a thread
        def work():
            time.sleep(1.0)
            Path({str(done)!r}).write_text("ok")
        failures._dispatch(work)
        # the interpreter ends here, the record still being written
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert done.read_text() == "ok"


def test_join_pending_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from airflow_errorguard.hooks import runtime

    monkeypatch.setattr(runtime, "orm_blocked", lambda: False)  # the thread path, never inline
    release = threading.Event()
    failures._dispatch(release.wait)
    assert failures.join_pending(timeout=0.2) == 1  # still writing: waited no longer than asked
    release.set()
    assert failures.join_pending(timeout=5) == 0
