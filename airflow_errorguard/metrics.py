"""
errorguard's metrics through Airflow's ``Stats`` (StatsD or OpenTelemetry, as Airflow is configured).

One tiny function per fact, callable from anywhere (callbacks, guard, breaker, retry). A metric
that cannot be emitted is dropped silently: metrics never break a task. Names start with
``errorguard.``; dimensions travel as tags (dropped by plain StatsD, kept by DogStatsD/OTel).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)
PREFIX = "errorguard"


def _incr(name: str, count: int = 1, **tags: Any) -> None:
    try:
        from airflow.sdk.observability.stats import Stats
    except ImportError:  # pure-core use without Airflow
        return
    try:
        Stats.incr(f"{PREFIX}.{name}", count, tags={k: str(v) for k, v in tags.items() if v is not None})
    except Exception as err:
        log.debug("errorguard: metric %s not emitted: %r", name, err)


def error_classified(category: str, *, dag_id: str | None = None) -> None:
    """One failure classified (``errorguard.error.classified``, tag ``category``)."""
    _incr("error.classified", category=category, dag_id=dag_id)


def decision_made(decision: str, category: str) -> None:
    """A retry decision taken (``errorguard.decision``, tags ``decision``, ``category``)."""
    _incr("decision", decision=decision, category=category)


def in_process_retry(category: str, count: int = 1) -> None:
    """In-process retry attempts (``errorguard.retry.in_process``)."""
    if count > 0:
        _incr("retry.in_process", count, category=category)


def records_quarantined(count: int, *, dag_id: str | None = None) -> None:
    """Records quarantined (``errorguard.quarantine.records``)."""
    if count > 0:
        _incr("quarantine.records", count, dag_id=dag_id)


def records_replayed(count: int, *, outcome: str) -> None:
    """Released records settled by a replay (``outcome``: ``replayed`` or ``requarantined``)."""
    if count > 0:
        _incr("quarantine.replayed", count, outcome=outcome)


def circuit_transition(circuit: str, from_state: str, to_state: str) -> None:
    """A circuit changed state (``errorguard.circuit.transition``)."""
    _incr("circuit.transition", circuit=circuit, from_state=from_state, to_state=to_state)


def circuit_rejected(circuit: str) -> None:
    """A call rejected because its circuit is open (``errorguard.circuit.rejected``)."""
    _incr("circuit.rejected", circuit=circuit)


def alert_sent(kind: str, *, category: str | None = None) -> None:
    """An alert (``kind``: ``alert``, ``reminder``, ``resolved``) sent (``errorguard.alert.sent``)."""
    _incr("alert.sent", kind=kind, category=category)


def alert_suppressed(reason: str, *, category: str | None = None) -> None:
    """An alert not sent (``reason``: ``duplicate``, ``transient``, ``inhibited``...)."""
    _incr("alert.suppressed", reason=reason, category=category)


def notifier_failed(notifier: str) -> None:
    """A notifier raised (``errorguard.alert.notifier_failed``)."""
    _incr("alert.notifier_failed", notifier=notifier)
