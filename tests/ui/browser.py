"""Headless Debian Chromium through Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def screenshot_dir() -> Path:
    """``$EG_ARTIFACTS/screenshots``, default ``tests/artifacts/screenshots``."""
    root = Path(os.environ.get("EG_ARTIFACTS") or REPO_ROOT / "tests" / "artifacts")
    path = root / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def require_chromium() -> None:
    """Fail under CI, skip locally, when Debian's chromium is missing."""
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium; `make browser-deps`)"
    if in_ci():
        pytest.fail(message + " -- CI=true, so browser tests fail instead of skipping", pytrace=False)
    pytest.skip(message)


@contextmanager
def chromium_page(*, dark: bool = False) -> Iterator[Any]:
    """A fresh page in a fresh profile (its own ``--user-data-dir``), laptop-sized."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="eg-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1366, "height": 800},
            color_scheme="dark" if dark else "light",
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            context.close()
