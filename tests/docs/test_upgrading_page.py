"""docs/upgrading.md lists every alembic revision errorguard ships, and the release -> head map."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from airflow_errorguard.storage.db_manager import REVISION_HEADS_MAP
from airflow_errorguard.storage.migrate import MIGRATIONS_DIR, head_revision

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parents[2] / "docs" / "upgrading.md"
ROW = re.compile(r"^\| `(\w+)` \| (?:`(\w+)`|—) \| ([\w.]+) \|", re.M)


def _revision_files() -> dict[str, tuple[str | None, str | None]]:
    """revision -> (down_revision, errorguard_version), read from the migration modules."""
    found = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        values: dict[str, str | None] = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                value = node.value.value
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = None if value is None else str(value)
        found[str(values["revision"])] = (values.get("down_revision"), values.get("errorguard_version"))
    return found


def _documented() -> dict[str, tuple[str | None, str]]:
    block = re.search(r"<!-- \[START revisions\] -->(.*?)<!-- \[END revisions\] -->", PAGE.read_text(), re.S)
    assert block, "docs/upgrading.md lost its revisions table"
    return {rev: (down or None, release) for rev, down, release in ROW.findall(block.group(1))}


def test_every_shipped_revision_is_documented_with_its_parent() -> None:
    files = _revision_files()
    documented = _documented()
    assert set(documented) == set(files)
    for revision, (down, _version) in files.items():
        assert documented[revision][0] == down, revision


def test_documented_release_of_each_revision_matches_the_file() -> None:
    for revision, (_down, version) in _revision_files().items():
        if version is not None:
            assert _documented()[revision][1] == version, revision


def test_heads_map_is_documented_and_points_at_the_head() -> None:
    assert REVISION_HEADS_MAP[max(REVISION_HEADS_MAP, key=Version)] == head_revision()
    text = PAGE.read_text()
    assert "{" + ", ".join(f'"{k}": "{v}"' for k, v in REVISION_HEADS_MAP.items()) + "}" in text


def test_documented_cli_upgrade_creates_the_head_revision(tmp_path: Path) -> None:
    command = re.search(r"^errorguard db upgrade --url (\S+)$", PAGE.read_text(), re.M)
    assert command, "docs/upgrading.md lost its `errorguard db upgrade --url ...` line"
    url = f"sqlite:///{tmp_path / 'errorguard.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "airflow_errorguard", "db", "upgrade", "--url", url],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"errorguard tables at revision {head_revision()}" in done.stdout
