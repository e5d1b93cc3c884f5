"""docs/circuits.md embeds the shared-circuit examples verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"# \[START (\w+)\]\n(.*?)# \[END \1\]", re.S)
EXAMPLES = ("shared_circuit_producer.py", "shared_circuit_consumer.py")


def test_circuit_docs_embed_the_examples() -> None:
    sections = {
        name: body.strip()
        for example in EXAMPLES
        for name, body in MARKER.findall((ROOT / "dags_examples" / example).read_text())
    }
    assert set(sections) == {
        "shared_circuit_definition",
        "shared_circuit_producer",
        "shared_circuit_consumer",
    }
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "circuits.md").read_text(), re.S)
    missing = [name for name, body in sections.items() if not any(body in block for block in blocks)]
    assert missing == []
