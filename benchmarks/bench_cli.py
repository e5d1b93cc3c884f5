"""
CLI start-up: wall time of one ``errorguard quarantine list`` process, by how it finds the tables.

Each call is a fresh process against a migrated SQLite file with a few rows: with ``--url``,
with the connection in ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (both read without importing Airflow),
and through Airflow (a ``--conn-id`` defined nowhere but Airflow's secrets, here the metadata
database fallback, which imports Airflow). The baseline is ``python -c pass`` measured in the
same run; the target for the first two is 2 s.

Run with ``make bench`` (or ``python benchmarks/bench_cli.py``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = int(os.environ.get("ERRORGUARD_BENCH_CLI_ROUNDS", "5"))
TARGET_SECONDS = 2.0
ERRORGUARD = str(Path(sys.executable).parent / "errorguard")


def _median_seconds(argv: list[str], env: dict[str, str]) -> float:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True, timeout=300)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="errorguard-bench-cli-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'airflow.db'}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "ERRORGUARD_"))}
        base.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=url,
        )
        subprocess.run([ERRORGUARD, "db", "upgrade", "--url", url], env=base, check=True, capture_output=True)
        listing = [ERRORGUARD, "quarantine", "list"]
        cases = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"], base),
            ("errorguard --url URL quarantine list", [ERRORGUARD, "--url", url, "quarantine", "list"], base),
            (
                "errorguard quarantine list ($AIRFLOW_CONN_...)",
                listing,
                {**base, "AIRFLOW_CONN_ERRORGUARD_DEFAULT": url},
            ),
            ("errorguard quarantine list (through Airflow)", listing, base),
        ]
        results = [(label, _median_seconds(argv, env)) for label, argv, env in cases]
    baseline = results[0][1]
    print(f"bench_cli: median of {ROUNDS} fresh processes; target <= {TARGET_SECONDS:g} s without Airflow")
    print(f"{'':48} {'seconds':>8} {'x baseline':>11}")
    for label, seconds in results:
        print(f"{label:48} {seconds:8.2f} {seconds / baseline:11.1f}")
    slowest = max(seconds for _, seconds in results[1:3])
    verdict = "within" if slowest <= TARGET_SECONDS else "OVER"
    print(f"without Airflow: slowest {slowest:.2f} s, {verdict} the {TARGET_SECONDS:g} s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
