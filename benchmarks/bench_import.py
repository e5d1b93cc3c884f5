"""
Import cost: what errorguard adds to every Airflow process (provider info at start-up, the plugin).

Fresh processes under ``python -X importtime``, same run: ``import airflow`` with errorguard's
distribution hidden from Airflow's entry-point discovery (the baseline) against ``import airflow``
as installed (Airflow reads every provider's info, ours included, while it starts), then the same
two with the plugins loaded (``plugins_manager.ensure_plugins_loaded()``), plus ``import airflow;
get_provider_info()``. "errorguard's share" is the cumulative import time of the imports that
errorguard's modules started (their first-time imports included), read from ``-X importtime``; the
wall-clock deltas are medians and noisy on a shared machine. The goal is <= 10 ms added and no
settings or classifier module imported.

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
started = time.perf_counter()
{body}
elapsed = time.perf_counter() - started
ours = sorted(m for m in sys.modules if m.startswith("airflow_errorguard"))
print(json.dumps({{"seconds": elapsed, "ours": ours}}))
"""
_PLUGINS = "import airflow\nfrom airflow import plugins_manager\nplugins_manager.ensure_plugins_loaded()"
CASES: list[tuple[str, bool, str]] = [
    ("import airflow, errorguard hidden (baseline)", True, "import airflow"),
    ("import airflow (reads our provider info)", False, "import airflow"),
    (
        "import airflow; get_provider_info()",
        False,
        "import airflow\nfrom airflow_errorguard.get_provider_info import get_provider_info\n"
        "get_provider_info()",
    ),
    ("... + plugins loaded, errorguard hidden", True, _PLUGINS),
    ("... + plugins loaded (our plugin)", False, _PLUGINS),
]


def errorguard_share_ms(importtime: str) -> float:
    """Cumulative milliseconds of the imports errorguard's modules started, from ``-X importtime``."""
    rows: list[tuple[int, int, str]] = []  # (depth, cumulative us, module), in the order printed
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative, name = line.split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((depth, int(cumulative), name.strip()))
    total = 0
    for index, (depth, cumulative, name) in enumerate(rows):
        if not name.startswith("airflow_errorguard"):
            continue
        # -X importtime prints a module after its children: the parent is the next shallower row.
        parent = next((row[2] for row in rows[index + 1 :] if row[0] < depth), "")
        if not parent.startswith("airflow_errorguard"):
            total += cumulative
    return total / 1000


def _run(hide: bool, body: str, env: dict[str, str]) -> tuple[float, float, list[str]]:
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
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["seconds"] * 1000, errorguard_share_ms(done.stderr), report["ours"]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="errorguard-bench-import-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        env.update(AIRFLOW_HOME=home, AIRFLOW__CORE__LOAD_EXAMPLES="False")
        walls: dict[str, list[float]] = {label: [] for label, _, _ in CASES}
        shares: dict[str, list[float]] = {label: [] for label, _, _ in CASES}
        loaded: dict[str, list[str]] = {}
        _run(False, "import airflow", env)  # warm the file cache and Airflow's first-run set-up
        for _ in range(ROUNDS):  # interleaved, so a busy moment of the machine hits every case
            for label, hide, body in CASES:
                wall, share, ours = _run(hide, body, env)
                walls[label].append(wall)
                shares[label].append(share)
                loaded[label] = ours
    print(f"bench_import: median of {ROUNDS} fresh processes each (python -X importtime)")
    print(f"{'':46} {'wall ms':>8} {'x base':>7} {'errorguard ms':>14} {'our modules':>12}")
    base = {True: statistics.median(walls[CASES[0][0]]), False: statistics.median(walls[CASES[3][0]])}
    for index, (label, _, _) in enumerate(CASES):
        wall = statistics.median(walls[label])
        ratio = wall / base[index < 3]
        print(
            f"{label:46} {wall:8.0f} {ratio:7.2f} {statistics.median(shares[label]):14.1f} "
            f"{len(loaded[label]):12d}"
        )
    worst = max(statistics.median(shares[label]) for label, hide, _ in CASES if not hide)
    heavy = sorted({m for label, hide, _ in CASES if not hide for m in loaded[label] if m.startswith(HEAVY)})
    startup = statistics.median(walls[CASES[1][0]]) - base[True]
    with_plugins = statistics.median(walls[CASES[4][0]]) - base[False]
    print(f"wall deltas vs. hidden: start-up {startup:+.0f} ms, with plugins {with_plugins:+.0f} ms (noisy)")
    print(f"errorguard modules after plugins load: {', '.join(loaded[CASES[4][0]])}")
    verdict = "within" if worst <= GOAL_MS else "OVER"
    print(
        f"errorguard's share: at most {worst:.1f} ms, {verdict} the {GOAL_MS:g} ms goal; "
        f"settings/classifier modules imported: {', '.join(heavy) or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
