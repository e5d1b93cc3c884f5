"""
The ``[errorguard]`` configuration section, read through the task SDK's config parser.

Every option is read with an explicit fallback (the worker-side parser may not load provider
defaults) and validated, so a malformed value fails at DAG parse time with a message naming the
option.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from airflow_errorguard.backoff import JITTERS
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.plugins import load_plugins
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.classification.rules_file import load_rules_file
from airflow_errorguard.exceptions import ErrorGuardConfigError

SECTION = "errorguard"
#: What an incident can be grouped by (``alert_group_by``).
GROUP_KEYS = ("dag", "task", "fingerprint", "circuit")
#: Longest ``alert_group_wait``: the callback waits in the worker, so keep the slot short.
MAX_GROUP_WAIT = timedelta(minutes=5)
#: Bounds of ``max_payload_bytes`` (the upper one fits MySQL's MEDIUMTEXT).
MIN_PAYLOAD_BYTES = 1024
MAX_PAYLOAD_BYTES = 16_000_000


@dataclass(frozen=True)
class ErrorGuardSettings:
    """Validated values of the ``[errorguard]`` section."""

    rules_file: str = ""
    load_plugin_classifiers: bool = True
    base_delay: float = 10.0
    max_delay: float = 600.0
    jitter: str = "full"
    system_max_retries: int = 1
    max_payload_bytes: int = 65536
    redact_fields: tuple[str, ...] = ()
    hash_fields: tuple[str, ...] = ()
    hash_key: str = field(default="", repr=False)
    circuit_storage_failure: str = "open"
    circuit_failure_rate: float = 0.5
    circuit_window: float = 20
    circuit_window_type: str = "count"
    circuit_minimum_calls: int = 10
    circuit_consecutive_failures: int = 0
    circuit_open_duration: float = 60.0
    circuit_open_duration_growth: float = 1.0
    circuit_max_open_duration: float = 1800.0
    circuit_half_open_probes: int = 1
    listener_enabled: bool = True
    alert_group_by: tuple[str, ...] = ("dag", "fingerprint")
    alert_repeat_interval: float = 3600.0
    alert_group_wait: float = 0.0
    alert_resolve_notice: bool = True
    learning_enabled: bool = True
    learning_min_samples: int = 10
    learning_window_hours: float = 168.0

    def __post_init__(self) -> None:
        _check_alert_options(self)
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ErrorGuardConfigError(
                f"[{SECTION}] max_delay ({self.max_delay}) must be >= base_delay ({self.base_delay}) >= 0"
            )
        if self.jitter not in JITTERS:
            raise ErrorGuardConfigError(
                f"[{SECTION}] jitter: expected one of {', '.join(JITTERS)}, got {self.jitter!r}"
            )
        if self.system_max_retries < 0:
            raise ErrorGuardConfigError(
                f"[{SECTION}] system_max_retries must be >= 0, got {self.system_max_retries}"
            )
        if not MIN_PAYLOAD_BYTES <= self.max_payload_bytes <= MAX_PAYLOAD_BYTES:
            raise ErrorGuardConfigError(
                f"[{SECTION}] max_payload_bytes must be between {MIN_PAYLOAD_BYTES} and "
                f"{MAX_PAYLOAD_BYTES}, got {self.max_payload_bytes}"
            )
        if self.circuit_storage_failure not in ("open", "closed"):
            raise ErrorGuardConfigError(
                f"[{SECTION}] circuit_storage_failure: expected open or closed, "
                f"got {self.circuit_storage_failure!r}"
            )
        from airflow_errorguard.breaker.defaults import circuit_defaults

        circuit_defaults(self)  # validates the circuit_* options, naming the bad one
        both = sorted(set(self.redact_fields) & set(self.hash_fields))
        if both:
            raise ErrorGuardConfigError(
                f"[{SECTION}] fields listed in both redact_fields and hash_fields: {', '.join(both)}"
            )


def _check_alert_options(settings: ErrorGuardSettings) -> None:
    bad = [key for key in settings.alert_group_by if key not in GROUP_KEYS]
    if not settings.alert_group_by or bad:
        raise ErrorGuardConfigError(
            f"[{SECTION}] alert_group_by: expected a comma-separated subset of {', '.join(GROUP_KEYS)}, "
            f"got {', '.join(settings.alert_group_by) or 'nothing'}"
        )
    if settings.alert_repeat_interval < 0:
        raise ErrorGuardConfigError(
            f"[{SECTION}] alert_repeat_interval must be >= 0 seconds, got {settings.alert_repeat_interval}"
        )
    if not 0 <= settings.alert_group_wait <= MAX_GROUP_WAIT.total_seconds():
        raise ErrorGuardConfigError(
            f"[{SECTION}] alert_group_wait must be between 0 and {MAX_GROUP_WAIT.total_seconds():g} "
            f"seconds, got {settings.alert_group_wait}"
        )
    if not 1 <= settings.learning_min_samples <= 10_000 or settings.learning_window_hours <= 0:
        raise ErrorGuardConfigError(
            f"[{SECTION}] learning_min_samples must be 1..10000 and learning_window_hours > 0, got "
            f"{settings.learning_min_samples} and {settings.learning_window_hours}"
        )


def _conf() -> Any:
    from airflow.sdk.configuration import conf

    return conf


def _read(option: str, kind: type, default: Any) -> Any:
    raw = _conf().get(SECTION, option, fallback=None)
    if raw is None or (isinstance(raw, str) and not raw.strip() and kind is not str):
        return default
    text = str(raw).strip()
    try:
        if kind is bool:
            if text.lower() in ("true", "1", "yes", "on", "t"):
                return True
            if text.lower() in ("false", "0", "no", "off", "f"):
                return False
            raise ValueError(text)
        return kind(text)
    except ValueError:
        raise ErrorGuardConfigError(
            f"[{SECTION}] {option}: expected a {kind.__name__}, got {raw!r}"
        ) from None


def load_settings() -> ErrorGuardSettings:
    """Read and validate ``[errorguard]`` from Airflow's configuration."""
    defaults = ErrorGuardSettings()
    return ErrorGuardSettings(
        rules_file=_read("rules_file", str, defaults.rules_file),
        load_plugin_classifiers=_read("load_plugin_classifiers", bool, defaults.load_plugin_classifiers),
        base_delay=_read("base_delay", float, defaults.base_delay),
        max_delay=_read("max_delay", float, defaults.max_delay),
        jitter=_read("jitter", str, defaults.jitter).strip().lower(),
        system_max_retries=_read("system_max_retries", int, defaults.system_max_retries),
        max_payload_bytes=_read("max_payload_bytes", int, defaults.max_payload_bytes),
        redact_fields=_names(_read("redact_fields", str, "")),
        hash_fields=_names(_read("hash_fields", str, "")),
        hash_key=_read("hash_key", str, defaults.hash_key),
        listener_enabled=_read("listener_enabled", bool, defaults.listener_enabled),
        alert_group_by=_names(_read("alert_group_by", str, ",".join(defaults.alert_group_by))),
        alert_repeat_interval=_read("alert_repeat_interval", float, defaults.alert_repeat_interval),
        alert_group_wait=_read("alert_group_wait", float, defaults.alert_group_wait),
        alert_resolve_notice=_read("alert_resolve_notice", bool, defaults.alert_resolve_notice),
        learning_enabled=_read("learning_enabled", bool, defaults.learning_enabled),
        learning_min_samples=_read("learning_min_samples", int, defaults.learning_min_samples),
        learning_window_hours=_read("learning_window_hours", float, defaults.learning_window_hours),
        circuit_storage_failure=_read("circuit_storage_failure", str, defaults.circuit_storage_failure)
        .strip()
        .lower(),
        circuit_failure_rate=_read("circuit_failure_rate", float, defaults.circuit_failure_rate),
        circuit_window=_read("circuit_window", float, defaults.circuit_window),
        circuit_window_type=_read("circuit_window_type", str, defaults.circuit_window_type).strip().lower(),
        circuit_minimum_calls=_read("circuit_minimum_calls", int, defaults.circuit_minimum_calls),
        circuit_consecutive_failures=_read(
            "circuit_consecutive_failures", int, defaults.circuit_consecutive_failures
        ),
        circuit_open_duration=_read("circuit_open_duration", float, defaults.circuit_open_duration),
        circuit_open_duration_growth=_read(
            "circuit_open_duration_growth", float, defaults.circuit_open_duration_growth
        ),
        circuit_max_open_duration=_read(
            "circuit_max_open_duration", float, defaults.circuit_max_open_duration
        ),
        circuit_half_open_probes=_read("circuit_half_open_probes", int, defaults.circuit_half_open_probes),
    )


def _names(text: str) -> tuple[str, ...]:
    """Comma-separated field names, lower-cased and de-duplicated in order."""
    names = (part.strip().lower() for part in text.split(","))
    return tuple(dict.fromkeys(name for name in names if name))


@lru_cache(maxsize=8)
def _classifier_for(rules_file: str, mtime: float, with_plugins: bool, extra: tuple[Rule, ...]) -> Classifier:
    rules: list[Rule] = list(extra)
    if rules_file:
        rules.extend(load_rules_file(rules_file))
    plugin_rules, plugin_classifiers = load_plugins() if with_plugins else ((), ())
    return Classifier(rules=[*rules, *plugin_rules], plugins=plugin_classifiers)


def build_classifier(
    rules: tuple[Rule, ...] = (), rules_file: str | None = None, settings: ErrorGuardSettings | None = None
) -> Classifier:
    """
    A classifier with *rules* first, then the rules file (``rules_file`` or the configured one),
    then plugin rules and classifiers. Cached per rules file modification time.

    :raises ErrorGuardConfigError: the rules file is missing or invalid.
    """
    settings = settings or load_settings()
    path = settings.rules_file if rules_file is None else rules_file
    mtime = 0.0
    if path:
        try:
            mtime = os.stat(path).st_mtime
        except OSError as err:
            raise ErrorGuardConfigError(f"rules file {path}: cannot be read: {err}") from err
    return _classifier_for(path, mtime, settings.load_plugin_classifiers, tuple(rules))


def airflow_default_classifier() -> Classifier:
    """
    Factory for :func:`~airflow_errorguard.classification.defaults.set_default_classifier_factory`:
    the configured rules file and plugins; built-ins only where Airflow is not installed.
    """
    try:
        import airflow.sdk.configuration  # noqa: F401
    except ImportError:
        return _classifier_for("", 0.0, True, ())
    return build_classifier()
