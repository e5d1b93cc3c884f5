"""
Send an :class:`~airflow_errorguard.alerts.content.Alert` through Airflow notifiers or callables.

Each notifier gets a copy of the task context with ``errorguard_alert`` (the structured dict) and
``errorguard_alert_text`` added, so a templated notifier can say
``SmtpNotifier(subject="{{ errorguard_alert.title }}", html_content="{{ errorguard_alert_text }}")``.
A ``BaseNotifier`` renders its templates in place, so it is copied first (the same instance in
``default_args`` serves every task). A notifier that raises is logged and counted; the others
still run, and nothing is raised to the caller.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_errorguard import metrics
from airflow_errorguard.alerts.content import Alert

log = logging.getLogger(__name__)

Notifier = Callable[..., Any]


@dataclass(frozen=True)
class DispatchResult:
    """Which notifiers succeeded and which failed (with the error)."""

    sent: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


def notifier_name(notifier: Any) -> str:
    return getattr(notifier, "__qualname__", None) or type(notifier).__name__


def alert_context(context: Mapping[str, Any], alert: Alert) -> dict[str, Any]:
    """The context a notifier receives: the task context plus the alert."""
    return {**context, "errorguard_alert": alert.to_dict(), "errorguard_alert_text": alert.text()}


def _fresh(notifier: Any) -> Any:
    if hasattr(notifier, "render_template_fields"):
        try:
            return copy.deepcopy(notifier)
        except Exception:  # an unpicklable attribute: render on the shared one
            return notifier
    return notifier


def dispatch(alert: Alert, notifiers: Sequence[Notifier], context: Mapping[str, Any]) -> DispatchResult:
    """Call every notifier with the alert's context; never raises."""
    sent: list[str] = []
    failed: list[tuple[str, str]] = []
    for notifier in notifiers:
        name = notifier_name(notifier)
        try:
            _fresh(notifier)(alert_context(context, alert))
        except Exception as err:
            log.warning(
                "errorguard: notifier %s failed for %s: %r", name, alert.incident_key, err, exc_info=True
            )
            metrics.notifier_failed(name)
            failed.append((name, f"{type(err).__name__}: {err}"))
        else:
            sent.append(name)
    return DispatchResult(tuple(sent), tuple(failed))
