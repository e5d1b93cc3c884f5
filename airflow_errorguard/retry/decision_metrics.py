"""The retry policy's decision counter (``errorguard.decision``); the policy checks
:func:`.metrics.quiet` inline on every decision and calls :func:`emit_metrics` when it is not."""

from __future__ import annotations

import logging

from airflow_errorguard import metrics
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.compat import RetryDecision

log = logging.getLogger(__name__)


def emit_metrics(category: ErrorCategory, decision: RetryDecision) -> None:
    """Count one decision; the caller checked that metrics are not quiet. Never raises."""
    try:
        # errorguard.error.classified is the recorder's (one per recorded try), not the policy's.
        metrics.decision_made(decision.action.value, category.value)
    except Exception as err:  # metrics never change a decision
        log.debug("errorguard: decision metrics not emitted: %r", err)


__all__ = ["emit_metrics"]
