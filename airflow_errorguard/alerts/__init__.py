"""Failure callbacks and deduplicated alerts through Airflow notifiers (imported lazily)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_errorguard.alerts.callback import ErrorGuardCallback
    from airflow_errorguard.alerts.config import AlertConfig
    from airflow_errorguard.alerts.content import Alert
    from airflow_errorguard.retry.learned_policy import LearningRetryPolicy

_EXPORTS = {
    "Alert": "airflow_errorguard.alerts.content",
    "AlertConfig": "airflow_errorguard.alerts.config",
    "ErrorGuardCallback": "airflow_errorguard.alerts.callback",
    "LearningRetryPolicy": "airflow_errorguard.retry.learned_policy",
}
__all__ = ["Alert", "AlertConfig", "ErrorGuardCallback", "LearningRetryPolicy"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'airflow_errorguard.alerts' has no attribute {name!r}")
