"""``make bench BENCH=...``: rewriting one section of docs/benchmarks.md keeps the others and the notes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PAGE = """# Benchmarks

- run on 2026-11-24 02:12 UTC

## `bench_a.py`

A.

```text
a 1.0x
```

_(3 s)_

A/B notes on a.

## `bench_b.py`

B.

```text
b 2.0x
```

_(4 s; a long
time line)_
"""


def test_split_page_round_trips_the_published_page() -> None:
    run_all = _run_all()
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    header, sections = run_all.split_page(page)
    again = header + "\n".join(
        generated.rstrip("\n") + "\n" + (f"\n{notes}\n" if notes else "")
        for generated, notes in sections.values()
    )
    assert again == page
    assert "bench_decision.py" in sections


def test_one_section_rewritten_keeps_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = _run_all()
    (tmp_path / "benchmarks").mkdir()
    for name, figure in (("bench_a.py", "a 9.9x"), ("bench_b.py", "b 7.7x")):
        (tmp_path / "benchmarks" / name).write_text(f'"""\n{name[6]}.\n"""\nprint("{figure}")\n')
    page = tmp_path / "benchmarks.md"
    page.write_text(PAGE)
    monkeypatch.setattr(run_all, "ROOT", tmp_path)
    monkeypatch.setattr(run_all, "PAGE", page)
    assert run_all.main(["bench_a.py"]) == 0
    written = page.read_text()
    assert "a 9.9x" in written and "a 1.0x" not in written  # rewritten, with its own run date
    assert "A/B notes on a." in written  # notes after the generated part kept
    assert "b 2.0x" in written and "b 7.7x" not in written  # the other section untouched
    assert written.startswith("# Benchmarks\n\n- run on 2026-11-24 02:12 UTC")
    assert run_all.main(["bench_nope.py"]) == 2
