"""The docs cannot drift: generated pages are current and embedded examples match their source."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"# \[START (\w+)\]\n(.*?)# \[END \1\]", re.S)


def test_generated_reference_pages_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _example_sections() -> dict[str, str]:
    sections = {}
    for path in sorted((ROOT / "dags_examples").glob("*.py")):
        for name, body in MARKER.findall(path.read_text()):
            sections[name] = body.strip()
    return sections


def test_examples_have_marked_sections() -> None:
    assert {"zero_rewrite_adoption", "errorguard_default_args"} <= set(_example_sections())


@pytest.mark.parametrize("page", ["docs/getting-started.md"])
def test_embedded_example_matches_source(page: str) -> None:
    text = (ROOT / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    embedded = {name for name, body in _example_sections().items() if any(body in b for b in blocks)}
    assert "zero_rewrite_adoption" in embedded, f"{page} no longer embeds the zero-rewrite example verbatim"


def test_guarded_processing_page_embeds_the_load_bisection_example() -> None:
    text = (ROOT / "docs" / "guarded-processing.md").read_text()
    blocks = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", text, re.S)]
    source = (ROOT / "dags_examples" / "load_poison_rows.py").read_text()
    body = textwrap.dedent(dict(MARKER.findall(source))["load_bisection"])
    assert any(body.strip() in b for b in blocks), (
        "docs/guarded-processing.md must embed load_bisection verbatim"
    )


def test_guarded_processing_page_embeds_the_dataframe_example() -> None:
    text = (ROOT / "docs" / "guarded-processing.md").read_text()
    blocks = [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", text, re.S)]
    source = (ROOT / "dags_examples" / "csv_frames.py").read_text()
    for name in ("frames_transform", "frames_load"):
        body = textwrap.dedent(dict(MARKER.findall(source))[name])
        assert any(body.strip() in b for b in blocks), f"docs/guarded-processing.md must embed {name}"
