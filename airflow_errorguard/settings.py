"""
The ``[errorguard]`` configuration section, read through the task SDK's config parser.

Read once per process (:func:`load_settings`; :func:`reload_settings` after a change). Every
option is read with an explicit fallback (the worker-side parser may not load provider
defaults) and validated, so a malformed value fails at DAG parse time with a message naming the
option.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from airflow_errorguard.backoff import JITTERS
from airflow_errorguard.breaker.modes import ON_STORAGE_FAILURE, storage_failure_mode
from airflow_errorguard.config_options import OPTIONS, SECTION, Option
from airflow_errorguard.exceptions import ErrorGuardConfigError

#: What an incident can be grouped by (``alert_group_by``).
GROUP_KEYS = ("dag", "task", "fingerprint", "circuit")
#: Longest ``alert_group_wait``: the callback waits in the worker, so keep the slot short.
MAX_GROUP_WAIT = timedelta(minutes=5)
#: Values of ``cluster_policy`` (empty: decided by how the policy is installed).
CLUSTER_POLICY_MODES = ("", "all", "opt_in", "off")
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
    circuit_storage_failure: str = "allow"
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
    cluster_policy: str = ""

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
        if self.circuit_storage_failure not in ON_STORAGE_FAILURE:
            raise ErrorGuardConfigError(
                f"[{SECTION}] circuit_storage_failure: expected {' or '.join(ON_STORAGE_FAILURE)}, "
                f"got {self.circuit_storage_failure!r}"
            )
        from airflow_errorguard.breaker.defaults import circuit_defaults

        circuit_defaults(self)  # validates the circuit_* options, naming the bad one
        if self.cluster_policy not in CLUSTER_POLICY_MODES:
            raise ErrorGuardConfigError(
                f"[{SECTION}] cluster_policy: expected one of all, opt_in, off (or empty), "
                f"got {self.cluster_policy!r}"
            )
        if self.hash_fields and not self.hash_key:
            raise ErrorGuardConfigError(
                f"[{SECTION}] hash_fields ({', '.join(self.hash_fields)}) needs hash_key: an unkeyed hash "
                "of a guessable value (an e-mail address) is reversed by hashing candidates; set "
                f"AIRFLOW__{SECTION.upper()}__HASH_KEY to a secret (e.g. from a secrets backend)"
            )
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
    from airflow_errorguard.compat import conf

    return conf


def _read(option: str, kind: type, default: Any) -> Any:
    raw = _conf().get(SECTION, option, fallback=None)
    if raw is None or (isinstance(raw, str) and not raw.strip() and kind is not str):
        return default
    return _parse(option, kind, raw)


def _parse(option: str, kind: type, raw: Any) -> Any:
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


_cached: ErrorGuardSettings | None = None


def load_settings() -> ErrorGuardSettings:
    """
    The validated ``[errorguard]`` section, read once per process (the per-failure paths call
    this: the public ``classify()``, circuit look-ups, the listener, the callback).
    :func:`reload_settings` reads it again.
    """
    settings = _cached
    if settings is None:
        settings = reload_settings()
    return settings


def invalidate_settings() -> None:
    """Forget the cached settings: the next :func:`load_settings` reads them again."""
    global _cached  # noqa: PLW0603 - the one per-process cache
    _cached = None


def reload_settings() -> ErrorGuardSettings:
    """Read and validate ``[errorguard]`` again and cache the result (after a configuration change)."""
    global _cached  # noqa: PLW0603 - the one per-process cache
    invalidate_settings()
    settings = read_settings()
    _cached = settings
    return settings


_KINDS: dict[str, type] = {"string": str, "boolean": bool, "integer": int, "float": float}


def _typed_default(option: Option) -> Any:
    """The declared default as the settings hold it."""
    kind = _KINDS[option.type]
    value: Any = option.default if kind is str else _parse(option.name, kind, option.default)
    normalise = _NORMALISE.get(option.name)
    return normalise(value) if normalise is not None else value


def read_settings() -> ErrorGuardSettings:
    """Read and validate ``[errorguard]`` from Airflow's configuration (no cache)."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        kind = _KINDS[option.type]
        value = _read(option.name, kind, option.default if kind is str else _typed_default(option))
        normalise = _NORMALISE.get(option.name)
        values[option.name] = normalise(value) if normalise is not None and isinstance(value, str) else value
    return ErrorGuardSettings(**values)


def _storage_failure(value: str) -> str:
    try:
        return storage_failure_mode(value, f"[{SECTION}] circuit_storage_failure")
    except ValueError as err:
        raise ErrorGuardConfigError(str(err)) from None


def _names(text: str) -> tuple[str, ...]:
    """Comma-separated field names, lower-cased and de-duplicated in order."""
    names = (part.strip().lower() for part in text.split(","))
    return tuple(dict.fromkeys(name for name in names if name))


#: How an option's text becomes its value, beyond its declared type.
_NORMALISE: dict[str, Callable[[Any], Any]] = {
    "jitter": lambda text: text.strip().lower(),
    "circuit_window_type": lambda text: text.strip().lower(),
    "cluster_policy": lambda text: text.strip().lower(),
    "circuit_storage_failure": _storage_failure,
    "redact_fields": _names,
    "hash_fields": _names,
    "alert_group_by": _names,
}
