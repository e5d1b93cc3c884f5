"""State of one guarded pass: the running counts and where it started, what the record loop noted
about a batch, and the replay of a failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
class BatchNotes:
    """What the record loop notes about one batch for its commit."""

    #: Batch indexes of the records quarantined by ``process`` (ascending): they left no output.
    skipped: list[int] = field(default_factory=list)
    #: ``(position, record key)`` of the records the fallback served (counted when the batch commits).
    served: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Pass:
    """Mutable state of one :meth:`GuardedRun.run`."""

    tally: Tally
    kept: list[Any]
    resumed_from: int
    start: float
    version: int
