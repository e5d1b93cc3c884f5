"""
Jittered, capped exponential backoff (pure Python).

As in tenacity's ``wait.py``, each jitter is a small strategy: a callable
``strategy(ceiling, *, base, previous, rng) -> seconds`` (:class:`FullJitter`,
:class:`EqualJitter`, :class:`DecorrelatedJitter`, :class:`NoJitter`), looked up by name in
:data:`JITTER_STRATEGIES`. The formulas are the AWS Architecture Blog's ("Exponential Backoff And
Jitter"). The random draws come from an injectable :class:`random.Random` because tenacity's
jittered waits use the process-global ``random`` module (not seedable per strategy), need a
``RetryCallState`` and offer neither equal nor decorrelated jitter.

A jittered delay is never below ``min_delay`` (default: 1 second, or ``base_delay`` when that is
smaller; ``0`` turns the floor off), so full jitter cannot announce "retry in 0.0s".
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, Protocol

Jitter = Literal["full", "equal", "decorrelated", "none"]
#: Default floor of a jittered delay (capped by ``base_delay``).
DEFAULT_MIN_DELAY = timedelta(seconds=1)
#: Retry numbers whose ceiling a :class:`Backoff` keeps computed.
_CEILINGS = 64


class JitterStrategy(Protocol):
    """``strategy(ceiling, *, base, previous, rng) -> seconds`` before the cap and the floor."""

    def __call__(self, ceiling: float, *, base: float, previous: float, rng: random.Random) -> float: ...


#: ``(low, span)``: a delay drawn as ``low + span * rng.random()`` (one draw); ``span`` ``None``: no draw.
Draw = tuple[float, float | None]


class FullJitter:
    """Uniform in ``[0, ceiling]``."""

    def __call__(self, ceiling: float, *, base: float, previous: float, rng: random.Random) -> float:
        return rng.uniform(0, ceiling)

    def draw(self, ceiling: float, *, base: float, previous: float) -> Draw:
        """What :meth:`__call__` draws, as ``(low, span)``: the same float operations as ``uniform``."""
        return 0.0, ceiling - 0


class EqualJitter:
    """Half the ceiling fixed, half random: uniform in ``[ceiling / 2, ceiling]``."""

    def __call__(self, ceiling: float, *, base: float, previous: float, rng: random.Random) -> float:
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def draw(self, ceiling: float, *, base: float, previous: float) -> Draw:
        """What :meth:`__call__` draws, as ``(low, span)``."""
        return ceiling / 2, ceiling / 2 - 0


class DecorrelatedJitter:
    """Uniform in ``[base, 3 * previous]`` (the previous delay, not the attempt number, drives it)."""

    def __call__(self, ceiling: float, *, base: float, previous: float, rng: random.Random) -> float:
        return rng.uniform(base, max(base, previous * 3))

    def draw(self, ceiling: float, *, base: float, previous: float) -> Draw:
        """What :meth:`__call__` draws, as ``(low, span)``."""
        return base, max(base, previous * 3) - base


class NoJitter:
    """The ceiling itself."""

    def __call__(self, ceiling: float, *, base: float, previous: float, rng: random.Random) -> float:
        return ceiling

    def draw(self, ceiling: float, *, base: float, previous: float) -> Draw:
        """The ceiling, without a draw."""
        return ceiling, None


JITTER_STRATEGIES: dict[str, JitterStrategy] = {
    "full": FullJitter(),
    "equal": EqualJitter(),
    "decorrelated": DecorrelatedJitter(),
    "none": NoJitter(),
}
JITTERS: tuple[str, ...] = tuple(JITTER_STRATEGIES)


def exponential_ceiling(base: float, cap: float, retry_number: int) -> float:
    """``base * 2 ** (retry_number - 1)`` seconds, capped at *cap* (1-based; no overflow)."""
    exponent = max(1, retry_number) - 1
    if base <= 0:
        return 0.0
    if exponent >= 1024 or exponent > math.log2(cap / base) + 1:
        return cap
    return min(cap, base * 2.0**exponent)


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
    :param min_delay: Floor of a jittered delay; default 1 second, or ``base_delay`` when that is
        smaller (the floor never exceeds ``base_delay``); ``0`` for no floor.
    """

    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=60)
    jitter: Jitter = "full"
    max_attempts: int = 3
    deadline: timedelta | None = timedelta(minutes=5)
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    min_delay: timedelta | None = None
    # Computed once in __post_init__: per-retry ceilings, and (base, cap, floor) in seconds.
    _ceilings: tuple[float, ...] = field(init=False, repr=False, compare=False, default=())
    _floats: tuple[float, float, float] = field(init=False, repr=False, compare=False, default=(0, 0, 0))
    # Per retry number (without a ``previous`` delay): what the jitter draws, as ``(low, span)``.
    _draws: tuple[Draw, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # normalise the frozen fields once (seconds -> timedelta)
        base = _seconds(self.base_delay, "base_delay")
        cap = _seconds(self.max_delay, "max_delay")
        if cap < base:
            raise ValueError(f"Backoff max_delay ({cap}s) must be >= base_delay ({base}s)")
        set_(self, "base_delay", timedelta(seconds=base))
        set_(self, "max_delay", timedelta(seconds=cap))
        if self.deadline is not None:
            set_(self, "deadline", timedelta(seconds=_seconds(self.deadline, "deadline")))
        floor = (
            min(DEFAULT_MIN_DELAY.total_seconds(), base)
            if self.min_delay is None
            else _seconds(self.min_delay, "min_delay")
        )
        if floor > base:
            raise ValueError(f"Backoff min_delay ({floor}s) must be <= base_delay ({base}s)")
        set_(self, "min_delay", timedelta(seconds=floor))
        if self.jitter not in JITTER_STRATEGIES:
            raise ValueError(f"Backoff jitter must be one of {', '.join(JITTERS)}, got {self.jitter!r}")
        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise ValueError(f"Backoff max_attempts must be a whole number >= 1, got {self.max_attempts!r}")
        if self.seed is not None:
            set_(self, "rng", random.Random(self.seed))
        base, cap = self.base_delay.total_seconds(), self.max_delay.total_seconds()
        set_(self, "_ceilings", tuple(exponential_ceiling(base, cap, n) for n in range(_CEILINGS)))
        set_(self, "_floats", (base, cap, floor))
        strategy = JITTER_STRATEGIES[self.jitter]
        ceilings = self._ceilings
        set_(
            self,
            "_draws",
            tuple(
                strategy.draw(ceilings[n], base=base, previous=self.ceiling(n - 1)) for n in range(_CEILINGS)
            )
            if hasattr(strategy, "draw")
            else (),
        )

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> Backoff:
        """Build from plain values (seconds as numbers), as found in a rules file."""
        allowed = {"base_delay", "max_delay", "jitter", "max_attempts", "deadline", "seed", "min_delay"}
        unknown = set(options) - allowed
        if unknown:
            raise ValueError(f"unknown backoff option(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        return cls(**dict(options))

    @property
    def draws(self) -> tuple[Draw, ...]:
        """``(low, span)`` per retry number (below 64): what :meth:`delay` draws without ``previous``
        (``low + span * rng.random()``; ``span`` ``None``: no draw), before the cap and the floor."""
        return self._draws

    @property
    def bounds(self) -> tuple[float, float, float]:
        """``(base_delay, max_delay, floor)`` in seconds: a drawn delay is capped, then floored."""
        return self._floats

    def ceiling(self, retry_number: int) -> float:
        """Un-jittered delay in seconds of retry *retry_number* (1-based): base * 2**(n-1), capped."""
        if 0 <= retry_number < _CEILINGS:
            return self._ceilings[retry_number]
        return exponential_ceiling(
            self.base_delay.total_seconds(), self.max_delay.total_seconds(), retry_number
        )

    def delay(
        self,
        retry_number: int,
        *,
        retry_after: timedelta | None = None,
        previous: timedelta | None = None,
    ) -> timedelta:
        """
        The jittered delay before retry *retry_number* (1-based), at least ``min_delay``.

        :param retry_after: Delay the service asked for; wins when larger, still capped by
            ``max_delay``.
        :param previous: The delay used before the previous attempt (decorrelated jitter only);
            without it, the previous ceiling stands in, so stateless callers stay bounded.
        """
        base, cap, floor = self._floats
        draws = self._draws
        if previous is None and 0 <= retry_number < len(draws):  # the common case, precomputed
            low, span = draws[retry_number]
            seconds = low if span is None else low + span * self.rng.random()
            # max(min(seconds, cap), floor), Retry-After, min(seconds, cap): without the calls
            seconds = min(seconds, cap)
            seconds = max(seconds, floor)
            if retry_after is not None:
                asked = retry_after.total_seconds()
                seconds = min(asked, cap) if asked > seconds else seconds
            return timedelta(0, seconds)
        prev = previous.total_seconds() if previous is not None else self.ceiling(retry_number - 1)
        strategy = JITTER_STRATEGIES[self.jitter]
        seconds = strategy(self.ceiling(retry_number), base=base, previous=prev, rng=self.rng)
        seconds = max(min(seconds, cap), floor)
        if retry_after is not None:
            seconds = max(seconds, retry_after.total_seconds())
        return timedelta(seconds=min(seconds, cap))


__all__ = [
    "JITTERS",
    "JITTER_STRATEGIES",
    "Backoff",
    "DecorrelatedJitter",
    "EqualJitter",
    "FullJitter",
    "JitterStrategy",
    "NoJitter",
    "exponential_ceiling",
]
