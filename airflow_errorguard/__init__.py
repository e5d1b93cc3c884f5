"""
airflow-errorguard: classify every task exception and decide retry, quarantine or alert.

The public names are imported lazily, on first use: every Airflow process imports this package
(provider info, plugin), so importing it loads nothing but the version. The pure core
(classification, backoff, in-process retry) is usable without touching Airflow.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from airflow_errorguard.version import __version__

if TYPE_CHECKING:
    from airflow_errorguard.alerts.callback import ErrorGuardCallback
    from airflow_errorguard.alerts.config import AlertConfig
    from airflow_errorguard.backoff import Backoff
    from airflow_errorguard.breaker.config import Circuit
    from airflow_errorguard.circuits.outcomes import CircuitOutcomeCallback, circuit_guard
    from airflow_errorguard.classification.classifier import Classifier
    from airflow_errorguard.classification.defaults import classify
    from airflow_errorguard.classification.model import Classification, ErrorAction, ErrorCategory
    from airflow_errorguard.classification.rules import Rule
    from airflow_errorguard.exceptions import CircuitOpenError, ErrorGuardConfigError, ErrorGuardError
    from airflow_errorguard.guard.facade import ErrorGuard
    from airflow_errorguard.guard.frames import FrameBatches
    from airflow_errorguard.guard.sql_sink import SqlTableSink
    from airflow_errorguard.operators.guarded import GuardedOperator
    from airflow_errorguard.operators.replay import QuarantineReplayOperator
    from airflow_errorguard.retry.args import retry_policy_args
    from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy
    from airflow_errorguard.retry.runner import Attempt, InProcessRetrier, retry_transient, run_with_retry
    from airflow_errorguard.sensors.circuit_breaker import CircuitBreakerSensor
    from airflow_errorguard.sources.files import FileRecords
    from airflow_errorguard.sources.sql import SqlRecords

_EXPORTS = {
    "AlertConfig": "airflow_errorguard.alerts.config",
    "ErrorGuardCallback": "airflow_errorguard.alerts.callback",
    "Classification": "airflow_errorguard.classification.model",
    "ErrorAction": "airflow_errorguard.classification.model",
    "ErrorCategory": "airflow_errorguard.classification.model",
    "Classifier": "airflow_errorguard.classification.classifier",
    "classify": "airflow_errorguard.classification.defaults",
    "Rule": "airflow_errorguard.classification.rules",
    "Backoff": "airflow_errorguard.backoff",
    "Attempt": "airflow_errorguard.retry.runner",
    "InProcessRetrier": "airflow_errorguard.retry.runner",
    "run_with_retry": "airflow_errorguard.retry.runner",
    "retry_transient": "airflow_errorguard.retry.runner",
    "ErrorGuardRetryPolicy": "airflow_errorguard.retry.policy",
    "retry_policy_args": "airflow_errorguard.retry.args",
    "ErrorGuardError": "airflow_errorguard.exceptions",
    "ErrorGuardConfigError": "airflow_errorguard.exceptions",
    "CircuitOpenError": "airflow_errorguard.exceptions",
    "Circuit": "airflow_errorguard.breaker.config",
    "CircuitBreakerSensor": "airflow_errorguard.sensors.circuit_breaker",
    "CircuitOutcomeCallback": "airflow_errorguard.circuits.outcomes",
    "circuit_guard": "airflow_errorguard.circuits.outcomes",
    "ErrorGuard": "airflow_errorguard.guard.facade",
    "FrameBatches": "airflow_errorguard.guard.frames",
    "GuardedOperator": "airflow_errorguard.operators.guarded",
    "QuarantineReplayOperator": "airflow_errorguard.operators.replay",
    "SqlRecords": "airflow_errorguard.sources.sql",
    "FileRecords": "airflow_errorguard.sources.files",
    "SqlTableSink": "airflow_errorguard.guard.sql_sink",
}
__all__ = [
    "AlertConfig",
    "Attempt",
    "Backoff",
    "Circuit",
    "CircuitBreakerSensor",
    "CircuitOpenError",
    "CircuitOutcomeCallback",
    "Classification",
    "Classifier",
    "ErrorAction",
    "ErrorCategory",
    "ErrorGuard",
    "ErrorGuardCallback",
    "ErrorGuardConfigError",
    "ErrorGuardError",
    "ErrorGuardRetryPolicy",
    "FileRecords",
    "FrameBatches",
    "GuardedOperator",
    "InProcessRetrier",
    "QuarantineReplayOperator",
    "Rule",
    "SqlRecords",
    "SqlTableSink",
    "__version__",
    "circuit_guard",
    "classify",
    "retry_policy_args",
    "retry_transient",
    "run_with_retry",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # resolved once; later lookups skip this function
        return value
    raise AttributeError(f"module 'airflow_errorguard' has no attribute {name!r}")
