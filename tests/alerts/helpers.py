"""Fakes of the alert tests: a task instance and its callback context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FakeTI:
    """The attributes of a runtime task instance the callback reads."""

    dag_id: str
    task_id: str
    run_id: str
    try_number: int = 1
    max_tries: int = 0
    map_index: int = -1
    state: str = "failed"


def context(ti: FakeTI, exception: BaseException | None = None) -> dict[str, Any]:
    return {"ti": ti, "exception": exception, "dag_run": None}


class Recorder:
    """A notifier callable that keeps what it was sent."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    def __call__(self, context: dict[str, Any]) -> None:
        self.alerts.append(context["errorguard_alert"])

    @property
    def kinds(self) -> list[str]:
        return [a["kind"] for a in self.alerts]
