"""Provider metadata for Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

from airflow_errorguard.compat import ERRORGUARD_DB_MANAGER
from airflow_errorguard.config_options import provider_config
from airflow_errorguard.version import __version__


def get_provider_info() -> dict[str, Any]:
    """Return the provider info dict read by ``airflow providers list`` and the config machinery."""
    return {
        "package-name": "airflow-errorguard",
        "name": "ErrorGuard",
        "description": "Error classification, retry decisions, quarantine, checkpoints and circuit "
        "breaking for Apache Airflow 3.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "ErrorGuard",
                "external-doc-url": "https://github.com/airflow-errorguard/airflow-errorguard",
                "tags": ["software"],
                "python-modules": [
                    "airflow_errorguard.classification",
                    "airflow_errorguard.retry",
                    "airflow_errorguard.storage",
                    "airflow_errorguard.guard",
                    "airflow_errorguard.breaker",
                ],
            }
        ],
        "operators": [
            {
                "integration-name": "ErrorGuard",
                "python-modules": [
                    "airflow_errorguard.operators.guarded",
                    "airflow_errorguard.operators.replay",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "ErrorGuard",
                "python-modules": ["airflow_errorguard.sensors.circuit_breaker"],
            }
        ],
        "triggers": [
            {
                "integration-name": "ErrorGuard",
                "python-modules": ["airflow_errorguard.triggers.circuit_breaker"],
            }
        ],
        "task-decorators": [
            {"name": "guarded", "class-name": "airflow_errorguard.decorators.guarded.guarded_task"}
        ],
        "hooks": [
            {"integration-name": "ErrorGuard", "python-modules": ["airflow_errorguard.hooks.errorguard"]}
        ],
        "connection-types": [
            {
                "connection-type": "errorguard",
                "hook-class-name": "airflow_errorguard.hooks.errorguard.ErrorGuardHook",
                "hook-name": "ErrorGuard",
            }
        ],
        "db-managers": [ERRORGUARD_DB_MANAGER],
        "plugins": [
            {"name": "errorguard", "plugin-class": "airflow_errorguard.plugins.errorguard.ErrorGuardPlugin"}
        ],
        "config": provider_config(),
    }
