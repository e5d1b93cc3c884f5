"""
Import cost: what errorguard adds to every Airflow process (provider info at start-up, the plugin).

Fresh processes under ``python -X importtime``, same run. Whole processes: ``import airflow`` plus
loading every plugin, with errorguard's distribution hidden from Airflow's entry-point discovery
(the baseline) and as installed (Airflow reads every provider's info while it starts, then loads
our plugin); their difference is a median of noisy wall times. Errorguard's own share, measured
precisely in a process where Airflow is already imported: ``get_provider_info()`` (import and
call) and the plugin module's import, timed (wall and the process's CPU time, which waiting for
a busy machine does not inflate) and attributed with ``-X importtime`` (plain ``import``
statements: Airflow's ``importlib`` loading is not reported by ``-X importtime``). The goal is
<= 10 ms of CPU added and no settings or classifier module imported.

Run with ``make bench`` (or ``python benchmarks/bench_import.py``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from typing import Any

ROUNDS = int(os.environ.get("ERRORGUARD_BENCH_IMPORT_ROUNDS", "7"))
GOAL_MS = 10.0
DIST = "airflow-errorguard"
#: Modules whose presence after start-up would mean settings or a classifier were built.
HEAVY = ("airflow_errorguard.settings", "airflow_errorguard.configured", "airflow_errorguard.classification")

_HIDE = f"""
import importlib.metadata
try:
    import importlib_metadata  # what Airflow reads entry points with before Python 3.12
except ImportError:
    importlib_metadata = importlib.metadata
for _md in {{importlib.metadata, importlib_metadata}}:
    _md.distributions = (lambda _all: lambda **kw: (
        d for d in _all(**kw) if d.metadata["Name"] != {DIST!r}))(_md.distributions)
"""
_PROBE = """
import json, sys, time
started, started_cpu = time.perf_counter(), time.process_time()
{body}
elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu
ours = sorted(m for m in sys.modules if m.startswith("airflow_errorguard"))
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "ours": ours,
                  "provider_info": globals().get("provider_info_s")}}))
"""
_PLUGINS = "import airflow\nfrom airflow import plugins_manager\nplugins_manager.ensure_plugins_loaded()"
#: Airflow imported and its plugin machinery loaded first (as in any Airflow process), then ours.
_OURS = """
import airflow, airflow.listeners
from airflow import plugins_manager
started, started_cpu = time.perf_counter(), time.process_time()
import airflow_errorguard.get_provider_info
airflow_errorguard.get_provider_info.get_provider_info()
provider_info_s = time.perf_counter() - started
import airflow_errorguard.plugins.errorguard
airflow_errorguard.plugins.errorguard.ErrorGuardPlugin()
"""
BASELINE, INSTALLED, OURS = (
    "import airflow + plugins, errorguard hidden",
    "import airflow + plugins, errorguard installed",
    "errorguard: provider info + plugin import",
)
CASES: list[tuple[str, bool, str]] = [
    (BASELINE, True, _PLUGINS),
    (INSTALLED, False, _PLUGINS),
    (OURS, True, _OURS),
]


def errorguard_share_ms(importtime: str) -> float:
    """Cumulative milliseconds of the imports errorguard's modules started, from ``-X importtime``."""
    rows: list[tuple[int, int, str]] = []  # (depth, cumulative us, module), in the order printed
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative_us, module = line.split("|")
        depth = (len(module) - len(module.lstrip(" ")) - 1) // 2
        rows.append((depth, int(cumulative_us), module.strip()))
    total = 0
    for index, (depth, cumulative, name) in enumerate(rows):
        if not name.startswith("airflow_errorguard"):
            continue
        # -X importtime prints a module after its children: the parent is the next shallower row.
        parent = next((row[2] for row in rows[index + 1 :] if row[0] < depth), "")
        if not parent.startswith("airflow_errorguard"):
            total += cumulative
    return total / 1000


def _run(hide: bool, body: str, env: dict[str, str]) -> dict[str, Any]:
    code = (_HIDE if hide else "") + _PROBE.format(body=body)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"probe failed ({done.returncode}):\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["share_ms"] = errorguard_share_ms(done.stderr)
    return report


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="errorguard-bench-import-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        env.update(AIRFLOW_HOME=home, AIRFLOW__CORE__LOAD_EXAMPLES="False")
        _run(False, "import airflow", env)  # warm the file cache and Airflow's first-run set-up
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in CASES}
        for _ in range(ROUNDS):  # interleaved, so a busy moment of the machine hits every case
            for label, hide, body in CASES:
                runs[label].append(_run(hide, body, env))

    shares = [run["share_ms"] for run in runs[OURS]]

    def ms(label: str, key: str, pick: Callable[[list[float]], float] = statistics.median) -> float:
        return pick([run[key] * 1000 for run in runs[label]])

    base, installed = ms(BASELINE, "seconds"), ms(INSTALLED, "seconds")
    ours, ours_best, ours_cpu = ms(OURS, "seconds"), ms(OURS, "seconds", min), ms(OURS, "cpu")
    print(f"bench_import: {ROUNDS} fresh processes per case (python -X importtime); wall: median and best")
    print(f"{'':50} {'median ms':>10} {'best ms':>8} {'x baseline':>11}")
    print(f"{BASELINE + ' (baseline)':50} {base:10.0f} {ms(BASELINE, 'seconds', min):8.0f} {1:11.3f}")
    print(f"{INSTALLED:50} {installed:10.0f} {ms(INSTALLED, 'seconds', min):8.0f} {installed / base:11.3f}")
    print(f"{OURS:50} {ours:10.1f} {ours_best:8.1f} {ours / base:11.4f}")
    print(f"{'  the same, CPU time of the process':50} {ours_cpu:10.1f} {ms(OURS, 'cpu', min):8.1f}")
    print(
        f"{'  of which get_provider_info() (import + call)':50} {ms(OURS, 'provider_info'):10.1f} "
        f"{ms(OURS, 'provider_info', min):8.1f}"
    )
    print(
        f"{'  -X importtime: the imports errorguard started':50} {statistics.median(shares):10.1f} "
        f"{min(shares):8.1f}"
    )
    print(f"whole-process delta, installed - hidden: {installed - base:+.0f} ms (noise of a shared machine)")
    loaded = runs[INSTALLED][-1]["ours"]
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    print(f"errorguard modules in an Airflow process after plugins load ({len(loaded)}): {', '.join(loaded)}")
    # CPU time: what the process spends, without the waits other processes on the machine cause.
    verdict = "within" if ours_cpu <= GOAL_MS else "OVER"
    print(
        f"errorguard adds {ours_cpu:.1f} ms of CPU (median; wall {ours_best:.1f} ms best, "
        f"{ours:.1f} ms median), {verdict} the {GOAL_MS:g} ms goal"
    )
    print(f"settings/classifier modules imported: {', '.join(heavy) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
