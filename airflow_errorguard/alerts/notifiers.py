"""
Two small notifiers shipped with errorguard: the alert in the task log, or appended to a file.

For getting started and for tests; production alerts go through Airflow's own notifiers
(``SmtpNotifier``, ``SlackNotifier``...), which errorguard feeds the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow.sdk import BaseNotifier


class LogNotifier(BaseNotifier):
    """
    Write the alert (``errorguard_alert_text``) to the task log at WARNING level.

    :param level: Logging level name (default ``WARNING``).
    """

    def __init__(self, *, level: str = "WARNING") -> None:
        super().__init__()
        self.level = level.upper()

    def notify(self, context: Any) -> None:
        self.log.log(_level(self.level), "errorguard alert:\n%s", context.get("errorguard_alert_text", ""))


class FileNotifier(BaseNotifier):
    """
    Append each alert (``errorguard_alert``, a dict) as one JSON line to *path*.

    :param path: The file (created with its directories when missing).
    """

    template_fields = ("path",)

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)

    def notify(self, context: Any) -> None:
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        alert = context.get("errorguard_alert") or {"text": context.get("errorguard_alert_text", "")}
        with target.open("a", encoding="utf-8") as out:
            out.write(json.dumps(alert, default=str, ensure_ascii=False) + "\n")


def _level(name: str) -> int:
    import logging

    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise ValueError(f"LogNotifier: unknown logging level {name!r}")
    return level
