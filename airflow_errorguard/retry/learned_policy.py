"""
``LearningRetryPolicy``: ``ErrorGuardRetryPolicy`` whose ``unknown`` decisions follow history.

For an ``unknown`` error the base policy keeps Airflow's default. This one asks the fingerprint's
history (:mod:`~airflow_errorguard.retry.learning`) first: mostly fixed by a retry before →
retry with backoff; mostly not → fail now, with the evidence as the reason ("learned from 14 past
occurrences: 1 succeeded on retry"). Too little history, or storage unreachable → the base
policy's decision. The retry count still never exceeds the task's ``retries``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow_errorguard.classification.model import Classification, ErrorCategory
from airflow_errorguard.compat import RetryDecision
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.retry.learning import LearningConfig, learned_decision
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy
from airflow_errorguard.storage.database import Clock, utcnow

log = logging.getLogger(__name__)


class LearningRetryPolicy(ErrorGuardRetryPolicy):
    """
    :param errorguard_conn_id: Connection to errorguard's tables (default ``errorguard_default``).
    :param min_samples: Finished past occurrences needed (default ``[errorguard] learning_min_samples``).
    :param window: History read (default ``[errorguard] learning_window_hours``).
    :param max_samples: Most past occurrences read (bounds the query).
    :param clock: Aware-UTC clock (tests).
    Other parameters: as :class:`~airflow_errorguard.retry.policy.ErrorGuardRetryPolicy`.
    """

    def __init__(
        self,
        *,
        errorguard_conn_id: str = DEFAULT_CONN_ID,
        min_samples: int | None = None,
        window: timedelta | None = None,
        max_samples: int = 200,
        clock: Clock = utcnow,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from airflow_errorguard.settings import load_settings

        config = LearningConfig.from_settings(
            load_settings(), min_samples=min_samples, window=window, max_samples=max_samples
        )  # validates
        self.errorguard_conn_id = errorguard_conn_id
        self.clock = clock
        self.min_samples = config.min_samples
        self.window = config.window
        self.max_samples = config.max_samples

    def _history(self, fingerprint: str) -> Any:
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook

        return learned_decision(
            ErrorGuardHook(errorguard_conn_id=self.errorguard_conn_id, clock=self.clock).database,
            fingerprint,
            window=self.window,
            min_samples=self.min_samples,
            max_samples=self.max_samples,
        )

    def decide(self, verdict: Classification, try_number: int, max_tries: int) -> RetryDecision:
        """The base decision, except for ``unknown`` errors with enough history."""
        if verdict.category is not ErrorCategory.UNKNOWN:
            return super().decide(verdict, try_number, max_tries)
        try:
            learned = self._history(verdict.fingerprint)
        except Exception as err:
            log.warning("errorguard: history unavailable, default decision: %r", err)
            learned = None
        if learned is None:
            return super().decide(verdict, try_number, max_tries)
        if learned.decision == "fail":
            return RetryDecision.fail(f"{verdict.reason}; failing: {learned.reason} [errorguard: learned]")
        delay = self.backoff.delay(try_number)
        return RetryDecision.retry(
            delay=delay,
            reason=f"{verdict.reason}; retry in {delay.total_seconds():.1f}s: {learned.reason} "
            "[errorguard: learned]",
        )
