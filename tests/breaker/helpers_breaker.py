"""Helpers of the pure circuit breaker tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class StepClock:
    """An injectable clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now
