"""
Learning from history: for an ``unknown`` error, did retrying its fingerprint help before?

Each stored error event gets an outcome when its task instance ends (``success`` when a later try
succeeded, ``failed`` when the task failed for good; set by the callback and the listener). For
the current fingerprint we read at most ``learning_max_samples`` finished events of the
``learning_window`` (one indexed range scan on ``(fingerprint, created_at)``) and decide:

* fewer than ``learning_min_samples`` → no opinion (Airflow's default stays);
* at least ``success_ratio`` of them succeeded on retry → ``retry``;
* otherwise → ``fail``: waiting has not helped before, so alert now.

On by default: it only ever speaks about ``unknown`` errors, only after ``learning_min_samples``
(10) finished occurrences, its query is bounded, and its reason names the evidence, e.g.
"learned from 14 past occurrences: 13 succeeded on retry".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.settings import ErrorGuardSettings
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.events import ErrorEventRepository

#: Share of past occurrences that must have succeeded on retry for "retry".
SUCCESS_RATIO = 0.5


@dataclass(frozen=True)
class LearningConfig:
    """
    How history is read.

    :param enabled: Whether history decides at all.
    :param min_samples: Past finished occurrences needed before history decides.
    :param window: How far back history is read.
    :param max_samples: Most past occurrences read (bounds the query).
    """

    enabled: bool = True
    min_samples: int = 10
    window: timedelta = timedelta(days=7)
    max_samples: int = 200

    def __post_init__(self) -> None:
        if not 1 <= self.min_samples <= self.max_samples <= 10_000:
            raise ErrorGuardConfigError(
                "learning: need 1 <= learning_min_samples <= learning_max_samples <= 10000, got "
                f"{self.min_samples} and {self.max_samples}"
            )
        if self.window <= timedelta(0):
            raise ErrorGuardConfigError(f"learning: the window must be positive, got {self.window}")

    @classmethod
    def from_settings(
        cls,
        settings: ErrorGuardSettings,
        *,
        min_samples: int | None = None,
        window: timedelta | None = None,
        max_samples: int = 200,
    ) -> LearningConfig:
        """``[errorguard] learning_*``, each overridable."""
        return cls(
            enabled=settings.learning_enabled,
            min_samples=settings.learning_min_samples if min_samples is None else min_samples,
            window=timedelta(hours=settings.learning_window_hours) if window is None else window,
            max_samples=max_samples,
        )


@dataclass(frozen=True)
class LearnedDecision:
    """What history says about a fingerprint: ``retry`` or ``fail``, and why."""

    decision: str
    samples: int
    succeeded: int
    reason: str


def learn(
    outcomes: Iterable[str], *, min_samples: int, success_ratio: float = SUCCESS_RATIO
) -> LearnedDecision | None:
    """Decide from past *outcomes* (``success`` / ``failed``; others are ignored)."""
    finished = [o for o in outcomes if o in ("success", "failed")]
    if len(finished) < min_samples:
        return None
    succeeded = sum(1 for o in finished if o == "success")
    decision = "retry" if succeeded >= success_ratio * len(finished) else "fail"
    reason = f"learned from {len(finished)} past occurrences: {succeeded} succeeded on retry"
    return LearnedDecision(decision, len(finished), succeeded, reason)


def learned_decision(
    tx: Transactional,
    fingerprint: str,
    *,
    window: timedelta,
    min_samples: int,
    max_samples: int,
    success_ratio: float = SUCCESS_RATIO,
) -> LearnedDecision | None:
    """:func:`learn` on the stored history of *fingerprint* (the clock is the database's)."""
    outcomes = ErrorEventRepository(tx).past_outcomes(
        fingerprint, now=tx.clock(), window=window, limit=max_samples
    )
    return learn(outcomes, min_samples=min_samples, success_ratio=success_ratio)
