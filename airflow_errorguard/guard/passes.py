"""State of one guarded pass: the running counts and where it started, and the replay of a failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airflow_errorguard.guard.summary import Tally


class Replay:
    """Hands tenacity the first failure again, then calls ``process`` for real."""

    __slots__ = ("first", "process", "record")

    def __init__(self, first: BaseException, process: Callable[[Any], Any], record: Any) -> None:
        self.first: BaseException | None = first
        self.process = process
        self.record = record

    def __call__(self) -> Any:
        if self.first is not None:
            first, self.first = self.first, None
            raise first
        return self.process(self.record)


@dataclass
class Pass:
    """Mutable state of one :meth:`GuardedRun.run`."""

    tally: Tally
    kept: list[Any]
    resumed_from: int
    start: float
    version: int
