"""
Time to recover from a transient blip and time to alert on a permanent error, under a REAL
scheduler (LocalExecutor, SQLite), errorguard against native Airflow, side by side in one run.

1. A transient blip (the first call is reset by the peer): Airflow relaunching the task after
   ``retry_delay`` vs errorguard retrying in-process (``run_with_retry``, 200 ms base delay).
2. A permanent error (permission denied on a credentials file), ``retries=3``: native Airflow
   tries 4 times, ``retry_delay`` apart, before the task is FAILED (the moment an on-failure alert
   goes out) vs ``ErrorGuardRetryPolicy`` failing at the first try.

``retry_delay`` is scaled down from Airflow's default 300 s to ``$EG_BENCH_RETRY_DELAY_S``
(default 5 s) so the run takes minutes; the ratios grow with a realistic delay. Each figure is a
DAG run's duration (start to end, from the REST API). Run with ``make bench``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness import AirflowEnv, RealAirflow  # noqa: E402

DAGS = Path(__file__).parent / "dags" / "bench_recovery_dags.py"
DELAY_S = os.environ.get("EG_BENCH_RETRY_DELAY_S", "5")


def _duration(af: RealAirflow, dag_id: str) -> tuple[str, float]:
    run_id = af.trigger(dag_id)
    state = af.wait_for_run(dag_id, run_id, timeout=600)
    run = af.dag_run(dag_id, run_id)
    start = datetime.fromisoformat(run["start_date"])
    end = datetime.fromisoformat(run["end_date"])
    return state, (end - start).total_seconds()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="errorguard-bench-recovery-") as tmp:
        env = AirflowEnv.create(Path(tmp) / "home", extra_env={"EG_BENCH_RETRY_DELAY_S": DELAY_S})
        env.migrate()
        env.add_dag_file(DAGS, DAGS.name)
        extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn}
        with RealAirflow(env, extra_env=extra) as af:
            results = {
                dag_id: _duration(af, dag_id)
                for dag_id in (
                    "bench_blip_native",
                    "bench_blip_inprocess",
                    "bench_permanent_native",
                    "bench_permanent_errorguard",
                )
            }
    print(f"real scheduler (LocalExecutor, SQLite), retry_delay = {DELAY_S} s (Airflow's default: 300 s)")
    for dag_id, (state, seconds) in results.items():
        print(f"  {dag_id:<28} {state:<8} {seconds:7.1f} s")
    blip_native, blip_ours = results["bench_blip_native"][1], results["bench_blip_inprocess"][1]
    perm_native, perm_ours = results["bench_permanent_native"][1], results["bench_permanent_errorguard"][1]
    print(
        f"transient blip, time to success: in-process {blip_ours:.1f} s vs Airflow relaunch "
        f"{blip_native:.1f} s -> {blip_native / blip_ours:.1f}x faster"
    )
    print(
        f"permanent error, time to FAILED (alert): errorguard {perm_ours:.1f} s vs native retries "
        f"{perm_native:.1f} s -> {perm_native / perm_ours:.1f}x sooner"
    )
    expected = {
        "bench_blip_native": "success",
        "bench_blip_inprocess": "success",
        "bench_permanent_native": "failed",
        "bench_permanent_errorguard": "failed",
    }
    wrong = {k: v[0] for k, v in results.items() if v[0] != expected[k]}
    if wrong:
        raise SystemExit(f"unexpected run states: {wrong}")


if __name__ == "__main__":
    main()
