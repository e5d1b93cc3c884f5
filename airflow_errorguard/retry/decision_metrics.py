"""The retry policy's decision counter (``errorguard.decision``), checked inline on every decision."""

from __future__ import annotations

import logging
from typing import Any

from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.compat import RetryDecision

log = logging.getLogger(__name__)


def emit_metrics(category: ErrorCategory, decision: RetryDecision) -> None:
    """Count one decision; the caller checked ``metrics.enabled()``. Never raises."""
    try:
        metrics = METRICS_MODULE[0] if METRICS_MODULE else load_metrics()
        # errorguard.error.classified is the recorder's (one per recorded try), not the policy's.
        metrics.decision_made(decision.action.value, category.value)
    except Exception as err:  # metrics never change a decision
        log.debug("errorguard: decision metrics not emitted: %r", err)


def load_metrics() -> Any:
    """:mod:`airflow_errorguard.metrics`, imported on the first decision (kept in :data:`METRICS_MODULE`)."""
    from airflow_errorguard import metrics

    METRICS_MODULE.append(metrics)
    return metrics


#: :mod:`airflow_errorguard.metrics`, imported on the first decision.
METRICS_MODULE: list[Any] = []


__all__ = ["METRICS_MODULE", "emit_metrics", "load_metrics"]
