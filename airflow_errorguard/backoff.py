"""
Jittered, capped exponential backoff (pure Python).

The exponential ceiling comes from :class:`tenacity.wait_exponential`; the jitter follows the AWS
Architecture Blog formulas ("Exponential Backoff And Jitter") and draws from an injectable
:class:`random.Random`, because tenacity's jittered waits use the process-global ``random`` module
(not seedable per strategy) and offer neither equal nor decorrelated jitter.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from tenacity import RetryCallState, wait_exponential

Jitter = Literal["full", "equal", "decorrelated", "none"]
JITTERS: tuple[str, ...] = ("full", "equal", "decorrelated", "none")


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(f"Backoff {name} must be a timedelta or a number of seconds, got {value!r}")
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"Backoff {name} must be >= 0 seconds, got {value!r}")
    return seconds


class _AttemptState(RetryCallState):
    """The minimal :class:`tenacity.RetryCallState` tenacity's wait strategies read."""

    def __init__(self, attempt_number: int) -> None:
        self.attempt_number = attempt_number


@dataclass(frozen=True)
class Backoff:
    """
    How long to wait before retry number *n*.

    :param base_delay: Delay of the first retry before jitter; doubles on every retry.
    :param max_delay: Cap on any delay, including one asked for by ``Retry-After``.
    :param jitter: ``full`` (uniform in [0, ceiling]), ``equal`` (half fixed, half random),
        ``decorrelated`` (uniform in [base, 3 * previous]) or ``none``.
    :param max_attempts: Total in-process attempts, the first call included.
    :param deadline: Wall-clock budget of in-process retrying; ``None`` for none.
    :param seed: Seed of the jitter's random generator, for reproducible tests.
    """

    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=60)
    jitter: Jitter = "full"
    max_attempts: int = 3
    deadline: timedelta | None = timedelta(minutes=5)
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        base = _seconds(self.base_delay, "base_delay")
        cap = _seconds(self.max_delay, "max_delay")
        if cap < base:
            raise ValueError(f"Backoff max_delay ({cap}s) must be >= base_delay ({base}s)")
        set_(self, "base_delay", timedelta(seconds=base))
        set_(self, "max_delay", timedelta(seconds=cap))
        if self.deadline is not None:
            set_(self, "deadline", timedelta(seconds=_seconds(self.deadline, "deadline")))
        if self.jitter not in JITTERS:
            raise ValueError(f"Backoff jitter must be one of {', '.join(JITTERS)}, got {self.jitter!r}")
        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise ValueError(f"Backoff max_attempts must be a whole number >= 1, got {self.max_attempts!r}")
        if self.seed is not None:
            set_(self, "rng", random.Random(self.seed))
        set_(self, "_ceiling", wait_exponential(multiplier=base, max=cap, exp_base=2))
        set_(self, "_ceilings", {})

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> Backoff:
        """Build from plain values (seconds as numbers), as found in a rules file."""
        allowed = {"base_delay", "max_delay", "jitter", "max_attempts", "deadline", "seed"}
        unknown = set(options) - allowed
        if unknown:
            raise ValueError(f"unknown backoff option(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        return cls(**dict(options))

    def ceiling(self, retry_number: int) -> float:
        """Un-jittered delay in seconds of retry *retry_number* (1-based): base * 2**(n-1), capped."""
        number = max(1, retry_number)
        cache: dict[int, float] = self._ceilings  # type: ignore[attr-defined]
        if number not in cache:
            cache[number] = float(self._ceiling(_AttemptState(number)))  # type: ignore[attr-defined]
        return cache[number]

    def delay(
        self,
        retry_number: int,
        *,
        retry_after: timedelta | None = None,
        previous: timedelta | None = None,
    ) -> timedelta:
        """
        The jittered delay before retry *retry_number* (1-based).

        :param retry_after: Delay the service asked for; wins when larger, still capped by
            ``max_delay``.
        :param previous: The delay used before the previous attempt (decorrelated jitter only);
            without it, the previous ceiling stands in, so stateless callers stay bounded.
        """
        base = self.base_delay.total_seconds()
        cap = self.max_delay.total_seconds()
        ceiling = self.ceiling(retry_number)
        if self.jitter == "full":
            seconds = self.rng.uniform(0, ceiling)
        elif self.jitter == "equal":
            seconds = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        elif self.jitter == "decorrelated":
            prev = previous.total_seconds() if previous is not None else self.ceiling(retry_number - 1)
            seconds = min(cap, self.rng.uniform(base, max(base, prev * 3)))
        else:
            seconds = ceiling
        if retry_after is not None:
            seconds = max(seconds, retry_after.total_seconds())
        return timedelta(seconds=min(seconds, cap))
