"""Options of guarded processing, validated at construction (DAG parse time)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.exceptions import ErrorGuardConfigError

#: Outputs kept (and returned through XCom) when no sink is given; more fails the task.
MAX_RETURNED_OUTPUTS = 10_000

RecordKey = str | Callable[[Any], object] | None


def default_in_process_retry() -> Backoff:
    """In-process retry of one record: 3 attempts, 0.2 s base delay, 5 s cap, 60 s deadline."""
    return Backoff(
        base_delay=timedelta(milliseconds=200),
        max_delay=timedelta(seconds=5),
        max_attempts=3,
        deadline=timedelta(seconds=60),
    )


@dataclass(frozen=True)
class GuardOptions:
    """
    How records are guarded.

    :param batch_size: Records per batch: one sink call and one commit per batch.
    :param max_quarantine_ratio: Fail when quarantined / processed exceeds it (checked after each
        committed batch); ``None`` for no ratio budget.
    :param max_quarantined: Fail when more records than this are quarantined; ``None`` for none.
    :param in_process_retry: Backoff of the in-process retries of transient failures.
    :param checkpoint: Save the position with every batch and resume from it on retry.
    :param record_key: Field name (mapping key or attribute) or callable giving a record's key;
        default: the record's position in the stream.
    :param checkpoint_name: Name of the checkpoint (scoped to the task instance and run).
    :param reschedule_waits_over: When a transient failure asks to wait (``Retry-After``) longer
        than this, do not sleep in the worker: commit the batch so far and raise
        :class:`~airflow_errorguard.exceptions.ErrorGuardReschedule` (the operator reschedules the
        task to the retry time; no retry used). ``None`` always waits in-process.
    :param isolate_sink_errors: When the sink rejects a batch with a data error, find the rows it
        rejects by bisection, quarantine them and load the rest (see
        :mod:`~airflow_errorguard.guard.bisection`); ``False`` lets the error fail the batch.
    """

    batch_size: int = 500
    max_quarantine_ratio: float | None = None
    max_quarantined: int | None = None
    in_process_retry: Backoff = field(default_factory=default_in_process_retry)
    checkpoint: bool = True
    record_key: RecordKey = None
    checkpoint_name: str = "guarded"
    isolate_sink_errors: bool = True
    reschedule_waits_over: timedelta | None = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ErrorGuardConfigError(f"batch_size must be a whole number >= 1, got {self.batch_size!r}")
        ratio = self.max_quarantine_ratio
        if ratio is not None and (isinstance(ratio, bool) or not 0 <= float(ratio) <= 1):
            raise ErrorGuardConfigError(f"max_quarantine_ratio must be between 0 and 1, got {ratio!r}")
        count = self.max_quarantined
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            raise ErrorGuardConfigError(f"max_quarantined must be a whole number >= 0, got {count!r}")
        if not isinstance(self.in_process_retry, Backoff):
            raise ErrorGuardConfigError(
                f"in_process_retry must be a Backoff, got {type(self.in_process_retry).__name__}"
            )
        over = self.reschedule_waits_over
        if over is not None and (not isinstance(over, timedelta) or over < timedelta(0)):
            raise ErrorGuardConfigError(
                f"reschedule_waits_over must be a timedelta >= 0 or None, got {over!r}"
            )
        if not isinstance(self.isolate_sink_errors, bool):
            raise ErrorGuardConfigError(
                f"isolate_sink_errors must be True or False, got {self.isolate_sink_errors!r}"
            )
        key = self.record_key
        if key is not None and not isinstance(key, str) and not callable(key):
            raise ErrorGuardConfigError(f"record_key must be a field name or a callable, got {key!r}")

    def key_of(self, record: Any, position: int) -> str:
        """The key of *record* at *position* (0-based, in the whole stream)."""
        key = self.record_key
        if key is None:
            return str(position)
        if callable(key):
            return str(key(record))
        if isinstance(record, Mapping):
            return str(record[key])
        return str(getattr(record, key))
