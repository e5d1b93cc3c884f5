"""
``make ui``: serve the demo's Airflow home (``.airflow-demo/``, made by ``make demo``) with the
Airflow UI and the errorguard view, until Ctrl-C; every process started is stopped on exit.

Open http://127.0.0.1:8080 (user ``admin``, password ``admin``). ``$EG_UI_PORT`` changes the port.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.demo import HOME, demo_env  # noqa: E402
from tests.harness import RealAirflow  # noqa: E402


def main() -> int:
    fresh = not (HOME / "airflow.db").exists()
    env = demo_env()
    if fresh:
        print("no demo database yet: migrating an empty one (run `make demo` first to have data)")
        env.migrate()
    port = int(os.environ.get("EG_UI_PORT", "8080"))
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with RealAirflow(env, port=port, triggerer=True, startup_timeout=240) as af:
        print(
            f"Airflow UI: {af.base_url}  (user admin, password admin); errorguard: {af.base_url}/errorguard/"
        )
        print("Ctrl-C stops every process.", flush=True)
        stop.wait()
    print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
