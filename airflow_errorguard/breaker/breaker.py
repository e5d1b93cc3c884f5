"""
:class:`CircuitBreaker`: one circuit's configuration bound to a storage, a clock and listeners.

``before_call()`` raises :class:`~airflow_errorguard.exceptions.CircuitOpenError` while the circuit
is open; ``record_success()`` / ``record_failure()`` feed the shared state. When the storage
itself fails, ``on_storage_failure`` decides: ``"allow"`` (fail-open) lets calls through,
``"reject"`` (fail-closed) rejects them; both are logged loudly and outcomes are dropped, so a
storage outage never masks the task's own error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from airflow_errorguard.breaker import machine
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.listener import CircuitListener, notify_rejected, notify_transitions
from airflow_errorguard.breaker.modes import storage_failure_mode
from airflow_errorguard.breaker.state import Admission, CallContext, CircuitSnapshot, CircuitState, Transition
from airflow_errorguard.breaker.storage import CircuitStorage, ManualAction
from airflow_errorguard.exceptions import CircuitOpenError, ErrorGuardStorageError

log = logging.getLogger(__name__)
T = TypeVar("T")
STORAGE_UNAVAILABLE = "storage_unavailable"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class CircuitBreaker:
    """
    A named circuit on shared storage.

    :param config: The circuit's configuration.
    :param storage: Where its state is shared (SQL for every worker, memory for one process).
    :param clock: Returns the current aware UTC time.
    :param listeners: Called on transitions and rejections (besides the registered global ones).
    :param on_storage_failure: ``"allow"`` lets calls through when the storage fails, ``"reject"``
        rejects them (retrying after ``open_duration``); see :mod:`~airflow_errorguard.breaker.modes`.
    :param context: Who is calling (task identity), recorded with transitions.
    """

    def __init__(
        self,
        config: Circuit,
        storage: CircuitStorage,
        *,
        clock: Callable[[], datetime] = _utcnow,
        listeners: Iterable[CircuitListener] = (),
        on_storage_failure: str = "allow",
        context: CallContext | None = None,
    ) -> None:
        on_storage_failure = storage_failure_mode(on_storage_failure)
        self.config = config
        self.storage = storage
        self.clock = clock
        self.listeners = tuple(listeners)
        self.on_storage_failure = on_storage_failure
        self.context = context or CallContext()

    @property
    def name(self) -> str:
        return self.config.name

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, storage={type(self.storage).__name__})"

    def _storage_failed(self, err: ErrorGuardStorageError, doing: str) -> Admission:
        now = self.clock()
        if self.on_storage_failure == "allow":
            log.error(
                "errorguard circuit %r: storage failed while %s (%s); FAIL-OPEN: letting the call "
                "through ([errorguard] circuit_storage_failure = allow)",
                self.name,
                doing,
                err,
            )
            return Admission(True, CircuitState.CLOSED, storage_unavailable=True)
        retry_at = now + timedelta(seconds=self.config.open_seconds(1))
        log.error(
            "errorguard circuit %r: storage failed while %s (%s); FAIL-CLOSED: rejecting the call "
            "until %s ([errorguard] circuit_storage_failure = reject)",
            self.name,
            doing,
            err,
            retry_at.isoformat(),
        )
        return Admission(False, CircuitState.OPEN, retry_at, storage_unavailable=True)

    def state(self) -> CircuitSnapshot:
        """The circuit's current shared state (a fresh one if it was never used)."""
        return self.storage.load(self.name) or machine.new_snapshot(self.config)

    def peek(self) -> Admission:
        """Whether a call would be let through now, without taking a probe slot (sensors)."""
        try:
            snap = self.storage.load(self.name)
        except ErrorGuardStorageError as err:
            return self._storage_failed(err, "reading its state")
        return machine.peek(self.config, snap or machine.new_snapshot(self.config), self.clock())

    def admit(self) -> Admission:
        """
        Ask to make one call: open circuits reject (counted), half-open ones hand out probe slots.

        Reads without a lock first, so rejecting from an open circuit costs one read and one
        counter increment; anything that may change state runs atomically in the storage.
        """
        now = self.clock()
        try:
            snap = self.storage.load(self.name)
            if snap is not None:
                quick = machine.peek(self.config, snap, now)
                if quick.allowed and not quick.probe:
                    return quick
                if not quick.allowed and snap.state is not CircuitState.HALF_OPEN:
                    self.storage.add_rejected(self.name)
                    notify_rejected(self.listeners, self.name, quick, self.context)
                    return quick
            admission = self._run(lambda snap: machine.admit(self.config, snap, now), self.context)[0]
        except ErrorGuardStorageError as err:
            return self._storage_failed(err, "admitting a call")
        if not admission.allowed:
            notify_rejected(self.listeners, self.name, admission, self.context)
        return admission

    def _run(
        self,
        step: Callable[[CircuitSnapshot], tuple[T, list[Transition]]],
        context: CallContext,
        manual: ManualAction | None = None,
    ) -> tuple[T, CircuitSnapshot]:
        """Apply *step* in the storage, then tell the listeners (outside the lock) what changed."""
        seen: list[Transition] = []

        def capture(snap: CircuitSnapshot) -> tuple[T, list[Transition]]:
            seen.clear()  # a retried transaction runs the step again
            result, transitions = step(snap)
            seen.extend(transitions)
            return result, transitions

        result, snap = self.storage.apply(self.config, capture, context=context, manual=manual)
        notify_transitions(self.listeners, seen, context)
        return result, snap

    def before_call(self) -> Admission:
        """:meth:`admit`, raising :class:`CircuitOpenError` when the call is rejected."""
        admission = self.admit()
        if not admission.allowed:
            state = STORAGE_UNAVAILABLE if admission.storage_unavailable else admission.state.value
            raise CircuitOpenError(self.name, state, admission.next_probe_at)
        return admission

    def record_success(self) -> CircuitSnapshot | None:
        """Record a successful call (``None`` if the storage failed: logged, never raised)."""
        return self._record(failed=False)

    def record_failure(
        self,
        category: str | None = None,
        *,
        error: BaseException | None = None,
        fingerprint: str | None = None,
    ) -> CircuitSnapshot | None:
        """
        Record a failed call; *category* (an errorguard category) decides whether it counts.
        Returns ``None`` if the storage failed (logged, never raised).
        """
        return self._record(
            failed=True,
            category=None if category is None else str(category),
            error_type=None if error is None else type(error).__qualname__[:250],
            error_message=None if error is None else str(error)[:2000],
            fingerprint=fingerprint,
        )

    def _record(self, *, failed: bool, **details: str | None) -> CircuitSnapshot | None:
        now = self.clock()

        def step(snap: CircuitSnapshot) -> tuple[None, list[Transition]]:
            return None, machine.record(self.config, snap, failed=failed, now=now, **details)

        try:
            _, snap = self._run(step, self.context)
        except ErrorGuardStorageError as err:
            log.error(
                "errorguard circuit %r: storage failed while recording a %s (%s); the outcome is lost",
                self.name,
                "failure" if failed else "success",
                err,
            )
            return None
        return snap

    def _manual(self, action: str, actor: str, note: str | None) -> CircuitSnapshot:
        now = self.clock()
        context = CallContext(actor=actor)
        _, snap = self._run(
            lambda snap: (None, machine.manual(self.config, snap, action, now, note)),
            context,
            ManualAction(action, actor, note),
        )
        return snap

    def force_open(self, *, actor: str, note: str | None = None) -> CircuitSnapshot:
        """Reject every call until :meth:`force_close` or :meth:`reset` (audited)."""
        return self._manual("force_open", actor, note)

    def force_close(self, *, actor: str, note: str | None = None) -> CircuitSnapshot:
        """Close the circuit now, clearing its window and trip count (audited)."""
        return self._manual("force_close", actor, note)

    def reset(self, *, actor: str, note: str | None = None) -> CircuitSnapshot:
        """Back to the initial state (closed, or metrics-only), window cleared (audited)."""
        return self._manual("reset", actor, note)

    def disable(self, *, actor: str, note: str | None = None) -> CircuitSnapshot:
        """Let every call through and never trip until reset (audited)."""
        return self._manual("disable", actor, note)
