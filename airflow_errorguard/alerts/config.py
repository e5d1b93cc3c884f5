"""Alert options (pure): grouping keys, repeat interval, group wait, learning thresholds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.retry.learning import LearningConfig
from airflow_errorguard.settings import GROUP_KEYS, MAX_GROUP_WAIT, ErrorGuardSettings

#: Incident keys longer than this are hashed (the column holds 200 characters).
_KEY_LIMIT = 200


def _seconds(value: timedelta | float | int, name: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (timedelta, int, float)):
        raise ErrorGuardConfigError(f"alerts: {name} must be a timedelta or seconds, got {value!r}")
    delta = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if delta < timedelta(0):
        raise ErrorGuardConfigError(f"alerts: {name} must be >= 0, got {value!r}")
    return delta


@dataclass(frozen=True)
class AlertConfig:
    """
    How failures are grouped into incidents and how often an incident notifies.

    :param group_by: Keys of an incident, from ``dag``, ``task``, ``fingerprint``, ``circuit``.
    :param repeat_interval: No second notification of an open incident within it; then a reminder.
    :param group_wait: Wait this long after an incident opens before its first notification, so a
        burst is reported once with its count (at most 5 minutes; 0 sends at once).
    :param resolve_notice: Notify when a success resolves an incident.
    :param learning: Let the history of an ``unknown`` fingerprint decide retry or fail.
    :param learning_min_samples: Past finished occurrences needed before history decides.
    :param learning_window: How far back history is read.
    :param learning_max_samples: Most past occurrences read (bounds the query).
    """

    group_by: tuple[str, ...] = ("dag", "fingerprint")
    repeat_interval: timedelta = timedelta(hours=1)
    group_wait: timedelta = timedelta(0)
    resolve_notice: bool = True
    learning: bool = True
    learning_min_samples: int = 10
    learning_window: timedelta = timedelta(days=7)
    learning_max_samples: int = 200

    def __post_init__(self) -> None:
        group_by = tuple(self.group_by) if not isinstance(self.group_by, str) else (self.group_by,)
        unknown = [key for key in group_by if key not in GROUP_KEYS]
        if not group_by or unknown:
            raise ErrorGuardConfigError(
                f"alerts: group_by must be a non-empty subset of {', '.join(GROUP_KEYS)}, "
                f"got {self.group_by!r}"
            )
        object.__setattr__(self, "group_by", tuple(dict.fromkeys(group_by)))
        for name in ("repeat_interval", "group_wait", "learning_window"):
            object.__setattr__(self, name, _seconds(getattr(self, name), name))
        if self.group_wait > MAX_GROUP_WAIT:
            raise ErrorGuardConfigError(
                f"alerts: group_wait must be at most {MAX_GROUP_WAIT}, got {self.group_wait}"
            )
        LearningConfig(
            enabled=self.learning,
            min_samples=self.learning_min_samples,
            window=self.learning_window,
            max_samples=self.learning_max_samples,
        )  # validates

    @classmethod
    def from_settings(cls, settings: ErrorGuardSettings) -> AlertConfig:
        """The configuration of ``[errorguard]`` (the one place it is built from settings)."""
        return cls(
            group_by=settings.alert_group_by,
            repeat_interval=timedelta(seconds=settings.alert_repeat_interval),
            group_wait=timedelta(seconds=settings.alert_group_wait),
            resolve_notice=settings.alert_resolve_notice,
            learning=settings.learning_enabled,
            learning_min_samples=settings.learning_min_samples,
            learning_window=timedelta(hours=settings.learning_window_hours),
        )

    def incident_key(
        self,
        *,
        dag_id: str,
        task_id: str,
        fingerprint: str | None,
        circuit: str | None = None,
        inhibited_by: str | None = None,
    ) -> str:
        """
        The incident a failure belongs to. A failure caused by an open circuit (*inhibited_by*)
        is folded into the circuit's incident ``circuit=<name>``, whatever the grouping.
        """
        if inhibited_by:
            return _fit(f"circuit={inhibited_by}")
        values = {"dag": dag_id, "task": task_id, "fingerprint": fingerprint or "none", "circuit": circuit}
        return _fit("|".join(f"{key}={values[key] or '-'}" for key in self.group_by))


def _fit(key: str) -> str:
    if len(key) <= _KEY_LIMIT:
        return key
    return f"{key[:150]}#sha256={hashlib.sha256(key.encode()).hexdigest()[:40]}"
