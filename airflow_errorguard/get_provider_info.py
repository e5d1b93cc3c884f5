"""Provider metadata for Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

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
                    "airflow_errorguard.classify",
                    "airflow_errorguard.retry",
                ],
            }
        ],
        "plugins": [
            {"name": "errorguard", "plugin-class": "airflow_errorguard.plugins.errorguard.ErrorGuardPlugin"}
        ],
        "config": {
            "errorguard": {
                "description": "Settings of airflow-errorguard (classification, retry decisions).",
                "options": {
                    "rules_file": {
                        "description": "Path of a YAML or TOML file with classification rules that take "
                        "precedence over the built-in knowledge. Empty for none.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "/opt/airflow/config/errorguard-rules.yaml",
                        "default": "",
                    },
                    "load_plugin_classifiers": {
                        "description": "Load extra classifiers registered by other packages under the "
                        "entry-point group ``airflow_errorguard.classifiers``.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "False",
                        "default": "True",
                    },
                    "base_delay": {
                        "description": "Base retry delay in seconds for transient errors (before jitter).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "30",
                        "default": "10",
                    },
                    "max_delay": {
                        "description": "Upper bound in seconds for any retry delay errorguard computes, "
                        "including one asked for by a Retry-After header.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "1800",
                        "default": "600",
                    },
                    "jitter": {
                        "description": "Jitter strategy: full, equal, decorrelated or none.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "equal",
                        "default": "full",
                    },
                    "system_max_retries": {
                        "description": "How many Airflow retries a system error (out of memory, disk "
                        "full, ...) may use before errorguard fails the task.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "0",
                        "default": "1",
                    },
                },
            }
        },
    }
