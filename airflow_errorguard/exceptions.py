"""Exceptions raised by errorguard itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


class ErrorGuardError(Exception):
    """Base class of every error errorguard raises on its own behalf."""


class ErrorGuardConfigError(ErrorGuardError, ValueError):
    """Invalid errorguard configuration: a bad rule, option or rules file (raised at DAG parse time)."""


class ErrorGuardStorageError(ErrorGuardError):
    """
    errorguard's own storage failed (unreachable, timed out, locked, rejected): never the task's error.

    :param message: What failed, naming the connection.
    :param conn_id: The Airflow connection id the storage was reached through.
    :param transient: Whether trying again later may succeed (lost connection, timeout, deadlock, lock).
    """

    def __init__(self, message: str, *, conn_id: str | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.conn_id = conn_id
        self.transient = transient


class ErrorGuardStorageConfigError(ErrorGuardStorageError):
    """No usable storage connection: missing connection, unsupported URL or missing database driver."""


class ErrorGuardCheckpointConflict(ErrorGuardStorageError):
    """A checkpoint changed since it was read (compare-and-swap on ``version`` failed)."""

    def __init__(
        self, message: str, *, conn_id: str | None = None, expected: int, actual: int | None
    ) -> None:
        super().__init__(message, conn_id=conn_id, transient=False)
        self.expected = expected
        self.actual = actual


class ErrorGuardBudgetExceeded(ErrorGuardError):
    """
    Guarded processing quarantined more records than its error budget allows (never retried).

    :param message: What was exceeded, with the counts.
    :param summary: The run's summary (counts, categories, top fingerprints, sample messages).
    """

    def __init__(self, message: str, *, summary: dict[str, object]) -> None:
        super().__init__(message)
        self.summary = summary


class ErrorGuardAlert(ErrorGuardError):
    """
    A record failed with an ``alert`` classification (configuration, system): fail now, no retry.

    :param message: The classification's reason, naming the record.
    :param record_key: Key of the record being processed.
    :param category: The failure's errorguard category.
    """

    def __init__(self, message: str, *, record_key: str, category: str) -> None:
        super().__init__(message)
        self.record_key = record_key
        self.category = category


class ErrorGuardReschedule(ErrorGuardError):
    """
    A record's dependency asked for a wait longer than the run may hold its worker slot: the run
    committed its progress (the record included is not) and should be rescheduled to resume.

    :param wait: How long the dependency asked to wait (``Retry-After``).
    :param record_key: Key of the record that must wait.
    :param reason: The classification's reason.
    """

    def __init__(self, wait: timedelta, *, record_key: str, reason: str) -> None:
        super().__init__(
            f"record {record_key}: {reason}; asked to wait {wait.total_seconds():g}s, longer than "
            "the worker slot is held"
        )
        self.wait = wait
        self.record_key = record_key
        self.reason = reason


class CircuitOpenError(ErrorGuardError):
    """
    A call was rejected because its circuit breaker is open.

    :param name: The circuit's name.
    :param state: The circuit's state (``open``, ``half_open``, ``forced_open``, or
        ``storage_unavailable`` when fail-closed storage could not be read).
    :param next_probe_at: When a probe call will next be let through (``None``: not before someone
        closes the circuit by hand).
    """

    def __init__(self, name: str, state: str, next_probe_at: datetime | None) -> None:
        when = next_probe_at.isoformat() if next_probe_at is not None else "not before a manual close"
        super().__init__(f"circuit {name!r} is {state}: calls are rejected; next probe: {when}")
        self.name = name
        self.state = state
        self.next_probe_at = next_probe_at

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.state, self.next_probe_at))
