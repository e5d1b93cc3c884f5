"""
Every ``[errorguard]`` option, declared once (a leaf: imports nothing).

:data:`OPTIONS` is the single declaration: ``get_provider_info()["config"]`` is generated from it
(:func:`provider_config`), :mod:`airflow_errorguard.settings` reads and validates each option by
it, and ``docs/reference/configuration.md`` is generated from the provider config
(``scripts/gen_docs.py``). Adding an option means adding one :class:`Option` here and a field of
the same name to :class:`~airflow_errorguard.settings.ErrorGuardSettings` (a test checks both
agree, defaults included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECTION = "errorguard"
SECTION_DESCRIPTION = "Settings of airflow-errorguard (classification, retry decisions)."


@dataclass(frozen=True)
class Option:
    """
    One option of ``[errorguard]``.

    :param name: The option's key.
    :param type: ``string``, ``boolean``, ``integer`` or ``float`` (Airflow's provider-config types).
    :param default: The default, as Airflow's config holds it (text).
    :param description: What it does (reST; shown by ``airflow config`` and in the docs).
    :param example: An example value.
    :param sensitive: Hidden by ``airflow config list``.
    :param version_added: The release that added it.
    """

    name: str
    type: str
    default: str
    description: str
    example: str
    sensitive: bool = False
    version_added: str = "0.1.0"

    def provider_entry(self) -> dict[str, Any]:
        """The option as ``get_provider_info()["config"]`` lists it."""
        entry: dict[str, Any] = {
            "description": self.description,
            "version_added": self.version_added,
            "type": self.type,
            "example": self.example,
            "default": self.default,
        }
        if self.sensitive:
            entry["sensitive"] = True
        return entry


OPTIONS: tuple[Option, ...] = (
    Option(
        "rules_file",
        "string",
        "",
        (
            "Path of a YAML or TOML file with classification rules that take precedence over the "
            "built-in knowledge. Empty for none."
        ),
        example="/opt/airflow/config/errorguard-rules.yaml",
    ),
    Option(
        "load_plugin_classifiers",
        "boolean",
        "True",
        (
            "Load extra classifiers registered by other packages under the entry-point group "
            "``airflow_errorguard.classifiers``."
        ),
        example="False",
    ),
    Option(
        "base_delay",
        "float",
        "10",
        ("Base retry delay in seconds for transient errors (before jitter)."),
        example="30",
    ),
    Option(
        "max_delay",
        "float",
        "600",
        (
            "Upper bound in seconds for any retry delay errorguard computes, including one asked for "
            "by a Retry-After header."
        ),
        example="1800",
    ),
    Option(
        "jitter",
        "string",
        "full",
        ("Jitter strategy: full, equal, decorrelated or none."),
        example="equal",
    ),
    Option(
        "system_max_retries",
        "integer",
        "1",
        (
            "How many Airflow retries a system error (out of memory, disk full, ...) may use before "
            "errorguard fails the task."
        ),
        example="0",
    ),
    Option(
        "max_payload_bytes",
        "integer",
        "65536",
        (
            "Largest quarantined payload stored as is, in bytes of JSON text. A larger payload is "
            "replaced by a marker with a preview, its size and its SHA-256."
        ),
        example="262144",
    ),
    Option(
        "redact_fields",
        "string",
        "",
        (
            "Comma-separated field names (any depth, case-insensitive) whose values are replaced by "
            "``[redacted]`` before a payload is stored."
        ),
        example="password, ssn, card_number",
    ),
    Option(
        "hash_fields",
        "string",
        "",
        (
            "Comma-separated field names whose values are replaced by a keyed hash "
            "(``hmac-sha256:<hex>``) before a payload is stored: equal values still match, the value "
            "itself is gone."
        ),
        example="email, customer_id",
    ),
    Option(
        "hash_key",
        "string",
        "",
        (
            "Secret key of the hash used for ``hash_fields``; required when ``hash_fields`` is set "
            "(refused at parse time otherwise: an unkeyed hash of a guessable value, such as an "
            "e-mail address, is reversed by trying candidates)."
        ),
        example="a-long-random-secret",
        sensitive=True,
    ),
    Option(
        "listener_enabled",
        "boolean",
        "True",
        (
            "Record every task failure of every DAG in ``errorguard_error_event`` through the "
            "plugin's listener (also tasks without errorguard code). A try already recorded by "
            "``ErrorGuardCallback`` or a retry policy is not recorded twice."
        ),
        example="False",
    ),
    Option(
        "alert_group_by",
        "string",
        "dag,fingerprint",
        (
            "Comma-separated keys that group failures into one incident (one alert): any of dag, "
            "task, fingerprint, circuit. Failures behind an open circuit are always folded into the "
            "circuit's incident."
        ),
        example="fingerprint",
    ),
    Option(
        "alert_repeat_interval",
        "float",
        "3600",
        (
            "Seconds during which an open incident does not notify again; the next failure after it "
            "sends a reminder with the count since the last notification."
        ),
        example="14400",
    ),
    Option(
        "alert_group_wait",
        "float",
        "0",
        (
            "Seconds to wait after an incident opens before its first notification, so a burst is "
            "reported once with its count (0 to 300; the waiting callback holds its worker slot)."
        ),
        example="30",
    ),
    Option(
        "alert_resolve_notice",
        "boolean",
        "True",
        ("Notify when a success resolves an open incident."),
        example="False",
    ),
    Option(
        "learning_enabled",
        "boolean",
        "True",
        (
            "Let the history of an ``unknown`` error's fingerprint decide whether waiting helps: an "
            "alert is sent on the retry when past occurrences mostly failed for good."
        ),
        example="False",
    ),
    Option(
        "learning_min_samples",
        "integer",
        "10",
        ("Finished past occurrences of a fingerprint needed before its history decides."),
        example="20",
    ),
    Option(
        "learning_window_hours",
        "float",
        "168",
        ("How many hours of history learning reads (at most 200 events per decision)."),
        example="24",
    ),
    Option(
        "circuit_storage_failure",
        "string",
        "allow",
        (
            "What a circuit breaker does when its shared storage cannot be reached: ``allow`` "
            "(fail-open) lets calls through, ``reject`` (fail-closed) rejects them for one open "
            "duration. Either way it is logged as an error. (``open``/``closed`` are deprecated "
            "spellings of ``allow``/``reject``.)"
        ),
        example="reject",
    ),
    Option(
        "circuit_failure_rate",
        "float",
        "0.5",
        ("Default failure rate (0 < rate <= 1) of the calls in a circuit's window that opens it."),
        example="0.25",
    ),
    Option(
        "circuit_window",
        "float",
        "20",
        (
            "Default sliding window of a circuit: a number of calls (``circuit_window_type = count``)"
            " or seconds (``time``)."
        ),
        example="300",
    ),
    Option(
        "circuit_window_type",
        "string",
        "count",
        ("Default window type of a circuit: ``count`` or ``time``."),
        example="time",
    ),
    Option(
        "circuit_minimum_calls",
        "integer",
        "10",
        ("Calls a circuit's window must hold before its failure rate is judged."),
        example="20",
    ),
    Option(
        "circuit_consecutive_failures",
        "integer",
        "0",
        (
            "Default number of counted failures in a row that open a circuit regardless of the rate; "
            "0 turns this threshold off."
        ),
        example="5",
    ),
    Option(
        "circuit_open_duration",
        "float",
        "60",
        ("Default seconds a circuit stays open before a probe call is let through."),
        example="120",
    ),
    Option(
        "circuit_open_duration_growth",
        "float",
        "1",
        (
            "Multiplier applied to the open duration on each further trip without closing in between "
            "(1 keeps it constant)."
        ),
        example="2",
    ),
    Option(
        "circuit_max_open_duration",
        "float",
        "1800",
        ("Upper bound in seconds of a grown open duration."),
        example="3600",
    ),
    Option(
        "circuit_half_open_probes",
        "integer",
        "1",
        ("Calls a half-open circuit lets through; that many successes close it."),
        example="3",
    ),
    Option(
        "cluster_policy",
        "string",
        "",
        (
            "Which DAGs errorguard's cluster policy attaches to: ``all`` (every DAG not tagged "
            "``errorguard:off``), ``opt_in`` (only DAGs tagged ``errorguard:on``) or ``off``. Empty: "
            "``all`` where ``airflow_errorguard.policy.task_policy`` is installed in "
            "``airflow_local_settings.py``, while the package's ``airflow.policy`` entry point stays "
            "inactive until this option is set."
        ),
        example="opt_in",
    ),
)
#: Options by name.
BY_NAME: dict[str, Option] = {option.name: option for option in OPTIONS}


def provider_config() -> dict[str, Any]:
    """The ``config`` section of ``get_provider_info()``, generated from :data:`OPTIONS`."""
    return {
        SECTION: {
            "description": SECTION_DESCRIPTION,
            "options": {option.name: option.provider_entry() for option in OPTIONS},
        }
    }


__all__ = ["BY_NAME", "OPTIONS", "SECTION", "Option", "provider_config"]
