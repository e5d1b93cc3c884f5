"""MkDocs hook: publish the repository's CHANGELOG.md as the ``changelog.md`` page.

The changelog lives at the repository root (where packaging tools and readers expect it); this
hook adds it to the site at build time so that it is neither copied nor linked outside ``docs/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

CHANGELOG = Path(__file__).resolve().parents[2] / "CHANGELOG.md"


def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, "changelog.md", abs_src_path=str(CHANGELOG)))
    return files
