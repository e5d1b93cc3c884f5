"""
``make bench``: run every ``benchmarks/bench_*.py`` and publish the figures in
``docs/benchmarks.md`` (each benchmark's own output, with the machine it ran on).
``make bench BENCH="bench_a.py bench_b.py"`` runs only those and rewrites only their sections.

A section's generated part is its heading, summary, output block and the run-time line after it;
what follows, up to the next section (notes on an A/B measurement, say), is kept when the section
is written again.

Every benchmark prints ratios against a baseline it measured in the same run, so the page
compares like with like even though absolute figures depend on the machine. A benchmark that
fails makes this script fail (the page is still written, with the failure shown).
"""

from __future__ import annotations

import os
import platform
import re
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


def split_page(page: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """*page*'s header and, per benchmark file name, ``(generated part, notes after it)``."""
    chunks = re.split(r"(?m)^(?=## `bench_)", page)
    sections: dict[str, tuple[str, str]] = {}
    for chunk in chunks[1:]:
        name = chunk[len("## `") : chunk.index("`", len("## `"))]
        start = chunk.find("```text\n")
        close = chunk.find("\n```\n", start + 1) if start >= 0 else -1
        if close < 0:  # no output block: the whole section is replaced when the benchmark runs
            sections[name] = (chunk, "")
            continue
        end = close + len("\n```\n")
        rest = chunk[end:]
        if rest.lstrip("\n").startswith("_("):  # the run-time line (a paragraph)
            skipped = len(rest) - len(rest.lstrip("\n"))
            paragraph_end = rest.find("\n\n", skipped)
            end += len(rest) if paragraph_end < 0 else paragraph_end
        sections[name] = (chunk[:end], chunk[end:].strip())
    return chunks[0], sections


def _header() -> str:
    return (
        "# Benchmarks\n\n"
        "Written by `make bench` (`benchmarks/run_all.py`); every figure below is a ratio against a "
        "baseline measured in the same run, on this machine:\n\n"
        f"- {_machine()}\n- run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        "Each benchmark's docstring (in `benchmarks/`) says exactly what it measures.\n\n"
    )


def _run(bench: Path) -> tuple[str, bool]:
    """The generated part of *bench*'s section, and whether it succeeded."""
    print(f"==> {bench.relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(bench)], cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    print(proc.stdout, end="", flush=True)
    output = proc.stdout.strip()
    if proc.returncode != 0:
        print(proc.stderr[-4000:], file=sys.stderr)
        output += f"\n\nFAILED with exit code {proc.returncode}:\n{proc.stderr.strip()[-2000:]}"
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    heading = f"## `{bench.name}`\n\n{summary(bench)}\n\n"
    return f"{heading}```text\n{output}\n```\n\n_({elapsed:.0f} s; run on {stamp})_", proc.returncode == 0


def main(argv: list[str]) -> int:
    every = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    if not every:
        print("make bench: no benchmarks/bench_*.py found", file=sys.stderr)
        return 1
    wanted = {Path(name).name for name in argv}
    unknown = wanted - {bench.name for bench in every}
    if unknown:
        print(f"make bench: no such benchmark: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    header, old = split_page(PAGE.read_text() if PAGE.exists() else "")
    if not wanted or not header.strip():
        header = _header()
    sections: list[str] = []
    failed: list[str] = []
    for bench in every:
        generated, notes = old.get(bench.name, ("", ""))
        if not wanted or bench.name in wanted:
            generated, ok = _run(bench)
            if not ok:
                failed.append(bench.name)
        if generated:
            sections.append(generated.rstrip("\n") + "\n" + (f"\n{notes}\n" if notes else ""))
    PAGE.write_text(header + "\n".join(sections))
    print(f"wrote {PAGE.relative_to(ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
