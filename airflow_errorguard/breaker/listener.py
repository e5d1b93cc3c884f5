"""Hooks called when a circuit changes state or rejects a call (metrics, alerts)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from airflow_errorguard.breaker.state import Admission, CallContext, Transition

log = logging.getLogger(__name__)


class CircuitListener:
    """No-op base class: override the methods you need."""

    def on_transition(self, transition: Transition, context: CallContext) -> None:
        """A circuit moved from one state to another."""

    def on_rejected(self, circuit: str, admission: Admission, context: CallContext) -> None:
        """A call was rejected because the circuit is open."""


_GLOBAL: list[CircuitListener] = []


def register_listener(listener: CircuitListener) -> None:
    """Call *listener* for every circuit in this process (e.g. the alerting integration)."""
    if listener not in _GLOBAL:
        _GLOBAL.append(listener)


def unregister_listener(listener: CircuitListener) -> None:
    """Stop calling *listener*."""
    if listener in _GLOBAL:
        _GLOBAL.remove(listener)


def notify_transitions(
    listeners: Iterable[CircuitListener], transitions: Iterable[Transition], context: CallContext
) -> None:
    """Tell every listener (and the global ones) about *transitions*; listener errors are logged."""
    for transition in transitions:
        log.warning(
            "errorguard circuit %r: %s -> %s (%s)",
            transition.circuit,
            transition.from_state.value,
            transition.to_state.value,
            transition.reason,
        )
        for listener in [*listeners, *_GLOBAL]:
            try:
                listener.on_transition(transition, context)
            except Exception:
                log.exception("errorguard circuit listener %r failed on a transition", listener)


def notify_rejected(
    listeners: Iterable[CircuitListener], circuit: str, admission: Admission, context: CallContext
) -> None:
    """Tell every listener that a call was rejected; listener errors are logged."""
    for listener in [*listeners, *_GLOBAL]:
        try:
            listener.on_rejected(circuit, admission, context)
        except Exception:
            log.exception("errorguard circuit listener %r failed on a rejection", listener)
