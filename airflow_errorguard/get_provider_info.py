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
                    "airflow_errorguard.storage",
                    "airflow_errorguard.guard",
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
        "db-managers": ["airflow_errorguard.storage.db_manager.ErrorGuardDBManager"],
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
                    "max_payload_bytes": {
                        "description": "Largest quarantined payload stored as is, in bytes of JSON text. A "
                        "larger payload is replaced by a marker with a preview, its size and its SHA-256.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "262144",
                        "default": "65536",
                    },
                    "redact_fields": {
                        "description": "Comma-separated field names (any depth, case-insensitive) whose "
                        "values are replaced by ``[redacted]`` before a payload is stored.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "password, ssn, card_number",
                        "default": "",
                    },
                    "hash_fields": {
                        "description": "Comma-separated field names whose values are replaced by a keyed "
                        "hash (``hmac-sha256:<hex>``) before a payload is stored: equal values still match, "
                        "the value itself is gone.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "email, customer_id",
                        "default": "",
                    },
                    "hash_key": {
                        "description": "Secret key of the hash used for ``hash_fields``. Without one the "
                        "hash of a guessable value (an e-mail address) can be reversed by trying candidates.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "a-long-random-secret",
                        "default": "",
                        "sensitive": True,
                    },
                },
            }
        },
    }
