"""
Record outcomes of plain tasks and existing operators in a circuit breaker.

* :func:`circuit_guard` — context manager and decorator: checks the circuit before the call
  (rejects while open) and records the call's success or classified failure.
* :class:`CircuitOutcomeCallback` — ``on_success_callback`` / ``on_failure_callback`` for
  operators whose code you cannot wrap.

Recording never raises: a storage failure is logged and the task's own exception is kept.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from airflow_errorguard.breaker.breaker import STORAGE_UNAVAILABLE, CircuitBreaker
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.modes import on_open_mode
from airflow_errorguard.circuits import probes
from airflow_errorguard.circuits.registry import get_circuit_breaker, validate_circuit_argument
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import CircuitOpenError, ErrorGuardConfigError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
#: Airflow control-flow exceptions: not failures of the dependency.
_CONTROL_FLOW = frozenset(
    {"AirflowSkipException", "AirflowRescheduleException", "TaskDeferred", "DownstreamTasksSkipped"}
)


def is_outcome(exc: BaseException) -> bool:
    """Whether *exc* is a failure to record (not Airflow control flow, not our own rejection)."""
    if not isinstance(exc, Exception) or isinstance(exc, CircuitOpenError):
        return False
    return not any(cls.__name__ in _CONTROL_FLOW for cls in type(exc).__mro__)


def _current_context() -> Mapping[str, Any] | None:
    try:
        from airflow.sdk import get_current_context

        return get_current_context()
    except Exception:
        return None


def record_exception(
    breaker: CircuitBreaker, exc: BaseException, context: Mapping[str, Any] | None = None
) -> None:
    """
    Classify *exc* (with the task's classifier, in the task's scope, when *context* is the task's)
    and record it as a failure (counted only for the circuit's categories).
    """
    try:
        from airflow_errorguard.classification.defaults import get_default_classifier
        from airflow_errorguard.classification.task_scope import task_classifier

        task = context.get("task") if context else None
        classifier = task_classifier(task) or get_default_classifier()
        verdict = classifier.classify(exc, context)
        breaker.record_failure(verdict.category.value, error=exc, fingerprint=verdict.fingerprint)
    except Exception as err:  # never mask the task's own exception
        log.warning("errorguard could not record a failure in circuit %r: %r", breaker.name, err)


def reject(error: CircuitOpenError, on_open: str, fallback: datetime) -> None:
    """Raise for a rejected call: the error itself, or a reschedule to the next probe."""
    if on_open == "reschedule":
        from airflow_errorguard.compat import AirflowRescheduleException

        log.warning("%s; rescheduling the task (no retry used, no worker slot held)", error)
        raise AirflowRescheduleException(error.next_probe_at or fallback) from error
    raise error


class circuit_guard:
    """
    Guard calls to a dependency with a shared circuit breaker::

        with circuit_guard("crm_api"):
            crm.push(rows)

        @circuit_guard("crm_api", on_open="reschedule")
        def push(rows): ...

    While the circuit is open the block is not run: :class:`CircuitOpenError` is raised, or with
    ``on_open="reschedule"`` the task is rescheduled to the next probe (no retry used). The
    outcome is recorded; failures are classified and only counted categories count. Inside a task
    whose outer guard of the same circuit holds the half-open probe (``GuardedOperator(circuit=)``,
    an outer ``circuit_guard``), it joins that probe: no slot of its own, no outcome of its own
    (see :mod:`~airflow_errorguard.circuits.probes`).

    :param circuit: A circuit name or :class:`Circuit`.
    :param errorguard_conn_id: Connection to errorguard's tables.
    :param on_open: ``"fail"`` (raise :class:`CircuitOpenError`) or ``"reschedule"``
        (:data:`~airflow_errorguard.breaker.modes.ON_OPEN`; ``"raise"`` is a deprecated ``"fail"``).
    :param context: The task context (default: the current one, when inside a task).
    """

    def __init__(
        self,
        circuit: Circuit | str,
        *,
        errorguard_conn_id: str = DEFAULT_CONN_ID,
        on_open: str = "fail",
        context: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            on_open = on_open_mode(on_open, "circuit_guard: on_open")
        except ValueError as err:
            raise ErrorGuardConfigError(str(err)) from None
        self.circuit = validate_circuit_argument(circuit, "circuit_guard")
        self.conn_id = errorguard_conn_id
        self.on_open = on_open
        self.context = context

    @contextmanager
    def _guard(self) -> Iterator[CircuitBreaker]:
        context = self.context or _current_context()
        breaker = get_circuit_breaker(self.circuit, conn_id=self.conn_id, context=context)
        if probes.held(breaker):  # the task's outer guard holds the probe: join it
            yield breaker
            return
        try:
            admission = breaker.before_call()
        except CircuitOpenError as err:
            from datetime import timedelta

            reject(err, self.on_open, breaker.clock() + timedelta(seconds=breaker.config.open_seconds(1)))
        with probes.holding(breaker, admission.probe):
            try:
                yield breaker
            except BaseException as exc:
                if is_outcome(exc):
                    record_exception(breaker, exc, context)
                raise
            breaker.record_success()

    def __enter__(self) -> CircuitBreaker:
        self._active = self._guard()
        return self._active.__enter__()

    def __exit__(self, *exc_info: Any) -> bool | None:
        return self._active.__exit__(*exc_info)

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._guard():
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class CircuitOutcomeCallback:
    """
    Task callbacks recording an operator's outcome in a circuit::

        record = CircuitOutcomeCallback("warehouse")
        SQLExecuteQueryOperator(..., on_success_callback=record, on_failure_callback=record)

    A success records a success; a failure (``context["exception"]``) is classified and recorded.
    Use it as ``on_retry_callback`` too so every failed try counts.
    """

    def __init__(self, circuit: Circuit | str, *, errorguard_conn_id: str = DEFAULT_CONN_ID) -> None:
        self.circuit = validate_circuit_argument(circuit, "CircuitOutcomeCallback")
        self.conn_id = errorguard_conn_id

    def __call__(self, context: Mapping[str, Any]) -> None:
        try:
            breaker = get_circuit_breaker(self.circuit, conn_id=self.conn_id, context=context)
            exc = context.get("exception")
            if not isinstance(exc, BaseException):  # Airflow 3.1/3.2 dag.test() leaves it out
                from airflow_errorguard.compat import finalizing_task_error

                exc = finalizing_task_error()
            if isinstance(exc, BaseException):
                if is_outcome(exc):
                    record_exception(breaker, exc, context)
            else:
                breaker.record_success()
        except Exception as err:
            log.warning("errorguard could not record the outcome in circuit %r: %r", self.circuit, err)


class RunCircuitCheck:
    """
    The ``before_batch`` check of a guarded run, plus recording the run's outcome.

    The first batch asks the circuit to admit the run (taking a probe slot in half-open); later
    batches only check that the circuit has not opened since (a probe run keeps going).

    :param breaker: The circuit.
    :param on_open: ``"reschedule"`` (to the next probe: no retry used) or ``"fail"``.
    :param context: The task's context: its classifier and scope classify the run's failure.
    """

    def __init__(
        self, breaker: CircuitBreaker, on_open: str, context: Mapping[str, Any] | None = None
    ) -> None:
        self.breaker = breaker
        self.on_open = on_open
        self.context = context
        self.admitted: bool | None = None
        self.probe = False
        self.rejected = False

    def __call__(self) -> None:
        from datetime import timedelta

        breaker = self.breaker
        if self.admitted is None:
            admission = breaker.admit()
            self.admitted, self.probe = admission.allowed, admission.probe
            if self.probe:
                probes.hold(breaker)  # inner circuit_guard()s of this task join the probe
        elif self.probe:
            return
        else:
            admission = breaker.peek()
        if admission.allowed:
            return
        self.rejected = True
        state = STORAGE_UNAVAILABLE if admission.storage_unavailable else admission.state.value
        error = CircuitOpenError(breaker.name, state, admission.next_probe_at)
        fallback = breaker.clock() + timedelta(seconds=breaker.config.open_seconds(1))
        reject(error, self.on_open, fallback)

    def on_finish(self, exc: BaseException | None) -> None:
        """The run's ``on_finish``: record its outcome (nothing when the circuit stopped it)."""
        if self.probe:
            probes.release(self.breaker)
        if self.rejected or not self.admitted:
            return
        if exc is None:
            self.breaker.record_success()
        elif is_outcome(exc):
            record_exception(self.breaker, exc, self.context)
