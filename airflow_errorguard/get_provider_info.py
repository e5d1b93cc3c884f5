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
                        "description": "Secret key of the hash used for ``hash_fields``; required when "
                        "``hash_fields`` is set (refused at parse time otherwise: an unkeyed hash of a "
                        "guessable value, such as an e-mail address, is reversed by trying candidates).",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "a-long-random-secret",
                        "default": "",
                        "sensitive": True,
                    },
                    "listener_enabled": {
                        "description": "Record every task failure of every DAG in "
                        "``errorguard_error_event`` through the plugin's listener (also tasks without "
                        "errorguard code). A try already recorded by ``ErrorGuardCallback`` or a retry "
                        "policy is not recorded twice.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "False",
                        "default": "True",
                    },
                    "alert_group_by": {
                        "description": "Comma-separated keys that group failures into one incident "
                        "(one alert): any of dag, task, fingerprint, circuit. Failures behind an open "
                        "circuit are always folded into the circuit's incident.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "fingerprint",
                        "default": "dag,fingerprint",
                    },
                    "alert_repeat_interval": {
                        "description": "Seconds during which an open incident does not notify again;"
                        " the next failure after it sends a reminder with the count since the last "
                        "notification.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "14400",
                        "default": "3600",
                    },
                    "alert_group_wait": {
                        "description": "Seconds to wait after an incident opens before its first "
                        "notification, so a burst is reported once with its count (0 to 300; the "
                        "waiting callback holds its worker slot).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "30",
                        "default": "0",
                    },
                    "alert_resolve_notice": {
                        "description": "Notify when a success resolves an open incident.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "False",
                        "default": "True",
                    },
                    "learning_enabled": {
                        "description": "Let the history of an ``unknown`` error's fingerprint decide"
                        " whether waiting helps: an alert is sent on the retry when past occurrences "
                        "mostly failed for good.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "False",
                        "default": "True",
                    },
                    "learning_min_samples": {
                        "description": "Finished past occurrences of a fingerprint needed before its"
                        " history decides.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "20",
                        "default": "10",
                    },
                    "learning_window_hours": {
                        "description": "How many hours of history learning reads (at most 200 events"
                        " per decision).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "24",
                        "default": "168",
                    },
                    "circuit_storage_failure": {
                        "description": "What a circuit breaker does when its shared storage cannot be "
                        "reached: ``open`` "
                        "(fail-open) lets calls through, ``closed`` (fail-closed) rejects them for one "
                        "open duration. Either way it is logged as an error.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "closed",
                        "default": "open",
                    },
                    "circuit_failure_rate": {
                        "description": "Default failure rate (0 < rate <= 1) of the calls in a circuit's "
                        "window that "
                        "opens it.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "0.25",
                        "default": "0.5",
                    },
                    "circuit_window": {
                        "description": "Default sliding window of a circuit: a number of calls "
                        "(``circuit_window_type = "
                        "count``) or seconds (``time``).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "300",
                        "default": "20",
                    },
                    "circuit_window_type": {
                        "description": "Default window type of a circuit: ``count`` or ``time``.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "time",
                        "default": "count",
                    },
                    "circuit_minimum_calls": {
                        "description": "Calls a circuit's window must hold before its failure rate is "
                        "judged.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "20",
                        "default": "10",
                    },
                    "circuit_consecutive_failures": {
                        "description": "Default number of counted failures in a row that open a circuit "
                        "regardless of "
                        "the rate; 0 turns this threshold off.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "5",
                        "default": "0",
                    },
                    "circuit_open_duration": {
                        "description": "Default seconds a circuit stays open before a probe call is let "
                        "through.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "120",
                        "default": "60",
                    },
                    "circuit_open_duration_growth": {
                        "description": "Multiplier applied to the open duration on each further trip without "
                        "closing in "
                        "between (1 keeps it constant).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "2",
                        "default": "1",
                    },
                    "circuit_max_open_duration": {
                        "description": "Upper bound in seconds of a grown open duration.",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": "3600",
                        "default": "1800",
                    },
                    "circuit_half_open_probes": {
                        "description": "Calls a half-open circuit lets through; that many successes "
                        "close it.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": "3",
                        "default": "1",
                    },
                },
            }
        },
    }
