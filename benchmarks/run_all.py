"""
``make bench``: run every ``benchmarks/bench_*.py`` and publish the figures in
``docs/benchmarks.md`` (each benchmark's own output, with the machine it ran on).

Every benchmark prints ratios against a baseline it measured in the same run, so the page
compares like with like even though absolute figures depend on the machine. A benchmark that
fails makes this script fail (the page is still written, with the failure shown).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "benchmarks.md"


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; apache-airflow {version('apache-airflow')}; "
        f"SQLAlchemy {version('sqlalchemy')}"
    )


def summary(bench: Path) -> str:
    """The first paragraph of the benchmark's docstring, on one line."""
    paragraph = bench.read_text().split('"""')[1].strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def main() -> int:
    benches = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    if not benches:
        print("make bench: no benchmarks/bench_*.py found", file=sys.stderr)
        return 1
    sections: list[str] = []
    failed: list[str] = []
    for bench in benches:
        print(f"==> {bench.relative_to(ROOT)}", flush=True)
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(bench)], cwd=ROOT, capture_output=True, text=True, check=False
        )
        elapsed = time.monotonic() - started
        print(proc.stdout, end="", flush=True)
        output = proc.stdout.strip()
        if proc.returncode != 0:
            failed.append(bench.name)
            print(proc.stderr[-4000:], file=sys.stderr)
            output += f"\n\nFAILED with exit code {proc.returncode}:\n{proc.stderr.strip()[-2000:]}"
        doc = summary(bench)
        sections.append(f"## `{bench.name}`\n\n{doc}\n\n```text\n{output}\n```\n\n_({elapsed:.0f} s)_\n")
    PAGE.write_text(
        "# Benchmarks\n\n"
        "Written by `make bench` (`benchmarks/run_all.py`); every figure below is a ratio against a "
        "baseline measured in the same run, on this machine:\n\n"
        f"- {_machine()}\n- run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        "Each benchmark's docstring (in `benchmarks/`) says exactly what it measures.\n\n"
        + "\n".join(sections)
    )
    print(f"wrote {PAGE.relative_to(ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
