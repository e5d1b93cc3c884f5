"""The documentation site builds with MkDocs in strict mode: no warning, no broken link or anchor."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _build(config: Path, site_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "--site-dir", str(site_dir)],
        capture_output=True,
        text=True,
        check=False,
        cwd=config.parent,
    )


def _nav_pages(nav: list) -> list[str]:
    pages: list[str] = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(_nav_pages(value) if isinstance(value, list) else [value])
    return pages


def _copy_project(tmp_path: Path) -> Path:
    """A copy of what the build reads (config, docs/, CHANGELOG.md), to break on purpose."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "mkdocs.yml"


def test_strict_build_has_no_warning(tmp_path: Path) -> None:
    done = _build(ROOT / "mkdocs.yml", tmp_path / "site")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNING" not in output, output
    assert (tmp_path / "site" / "changelog" / "index.html").is_file()
    assert "0.1.0" in (tmp_path / "site" / "changelog" / "index.html").read_text()


def test_config_is_strict_and_validates_links() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["strict"] is True
    assert config["docs_dir"] == "docs"
    assert config["validation"]["links"] == {
        "not_found": "warn",
        "anchors": "warn",
        "absolute_links": "warn",
        "unrecognized_links": "warn",
    }
    assert config["validation"]["nav"]["omitted_files"] == "warn"


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    in_nav = set(_nav_pages(config["nav"]))
    on_disk = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert on_disk - in_nav == set()
    assert in_nav - on_disk == {"changelog.md"}  # generated from CHANGELOG.md by docs/hooks/changelog.py


@pytest.mark.parametrize(
    ("page", "text", "expected"),
    [
        ("storage.md", "\n[gone](no-such-page.md)\n", "no-such-page.md"),
        ("storage.md", "\n[gone](#no-such-anchor)\n", "no-such-anchor"),
        ("index.md", "\n[outside](../README.md)\n", "../README.md"),
    ],
)
def test_a_broken_link_fails_the_build(tmp_path: Path, page: str, text: str, expected: str) -> None:
    config = _copy_project(tmp_path)
    with (tmp_path / "docs" / page).open("a") as handle:
        handle.write(text)
    done = _build(config, tmp_path / "site")
    assert done.returncode != 0
    assert expected in done.stdout + done.stderr


def test_a_page_missing_from_the_nav_fails_the_build(tmp_path: Path) -> None:
    config = _copy_project(tmp_path)
    (tmp_path / "docs" / "orphan.md").write_text("# Orphan\n")
    done = _build(config, tmp_path / "site")
    assert done.returncode != 0
    assert "orphan.md" in done.stdout + done.stderr
