"""
Circuit breakers inside Airflow: resolve a circuit's configuration and bind it to the shared storage.

:func:`get_circuit_breaker` is what operators, sensors, triggers, retry policies and
:func:`~airflow_errorguard.circuits.outcomes.circuit_guard` use. The configuration comes from the
``[errorguard] circuit_*`` defaults, the rules file's ``circuits:`` section and Python
(:class:`~airflow_errorguard.breaker.config.Circuit`); the state lives in errorguard's tables,
reached through the ``errorguard_default`` connection (never Airflow's ORM).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from airflow_errorguard.breaker.breaker import STORAGE_UNAVAILABLE, CircuitBreaker
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.defaults import circuit_defaults, resolve_circuit
from airflow_errorguard.breaker.listener import CircuitListener
from airflow_errorguard.breaker.state import Admission, CallContext, Transition
from airflow_errorguard.breaker.storage import CircuitStorage
from airflow_errorguard.circuits.connection import ConnectionCircuitStorage
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.task_context import task_ref

T = TypeVar("T")


def circuit_overrides(rules_file: str) -> dict[str, dict[str, Any]]:
    """The rules file's ``circuits:`` section (the file is parsed once per modification time)."""
    if not rules_file:
        return {}
    from airflow_errorguard.circuits.rules_file import circuits_from_document
    from airflow_errorguard.configured import rules_file_document

    return circuits_from_document(rules_file_document(rules_file), rules_file)


def resolve(circuit: Circuit | str) -> Circuit:
    """
    The effective configuration of *circuit* (a name or a :class:`Circuit`).

    :raises ErrorGuardConfigError: the circuit, the ``[errorguard]`` options or the rules file are invalid.
    """
    from airflow_errorguard.settings import load_settings

    settings = load_settings()
    return resolve_circuit(
        circuit, defaults=circuit_defaults(settings), overrides=circuit_overrides(settings.rules_file)
    )


def validate_circuit_argument(circuit: object, owner: str) -> Circuit | str:
    """Check an operator's ``circuit=`` argument at parse time (a :class:`Circuit` or a valid name)."""
    if isinstance(circuit, Circuit):
        return circuit
    if isinstance(circuit, str):
        Circuit(circuit, consecutive_failures=1)  # validates the name only
        return circuit
    raise ErrorGuardConfigError(f"{owner}: circuit must be a Circuit or a circuit name, got {circuit!r}")


def context_of(context: Mapping[str, Any] | None, actor: str | None = None) -> CallContext:
    """A :class:`CallContext` naming the task instance in an Airflow *context*."""
    ref = task_ref(context)
    if not ref.known:
        return CallContext(actor=actor or "errorguard")
    dag_id, task_id = ref.dag_id or "", ref.task_id or ""
    return CallContext(
        actor=actor or f"{dag_id}.{task_id}",
        dag_id=dag_id,
        task_id=task_id,
        run_id=ref.run_id or "",
        map_index=ref.map_index,
    )


class MetricsListener(CircuitListener):
    """Circuit transitions and rejected calls as errorguard metrics through Airflow's ``Stats``."""

    def on_transition(self, transition: Transition, context: CallContext) -> None:
        from airflow_errorguard import metrics

        metrics.circuit_transition(transition.circuit, transition.from_state.value, transition.to_state.value)

    def on_rejected(self, circuit: str, admission: Admission, context: CallContext) -> None:
        from airflow_errorguard import metrics

        metrics.circuit_rejected(circuit)


_METRICS = MetricsListener()


def get_circuit_breaker(
    circuit: Circuit | str,
    *,
    conn_id: str = DEFAULT_CONN_ID,
    context: Mapping[str, Any] | None = None,
    storage: CircuitStorage | None = None,
    listeners: Iterable[CircuitListener] = (),
) -> CircuitBreaker:
    """
    A :class:`CircuitBreaker` for *circuit* on errorguard's shared storage.

    :param circuit: A name (configured from ``[errorguard]`` and the rules file) or a :class:`Circuit`.
    :param conn_id: The connection errorguard's tables are reached through.
    :param context: The Airflow task context, recorded with transitions.
    :param storage: Another storage (tests); default: the tables behind *conn_id*.
    :param listeners: Extra listeners for transitions and rejections.
    """
    from airflow_errorguard.settings import load_settings

    return CircuitBreaker(
        resolve(circuit),
        storage or ConnectionCircuitStorage(conn_id),
        listeners=(_METRICS, *listeners),
        on_storage_failure=load_settings().circuit_storage_failure,
        context=context_of(context),
    )


def circuit_status(breaker: CircuitBreaker) -> dict[str, Any]:
    """What the sensor reports (XCom ``circuit_state``): state, whether a call goes through, next probe."""
    admission = breaker.peek()
    return {
        "circuit": breaker.name,
        "state": STORAGE_UNAVAILABLE if admission.storage_unavailable else admission.state.value,
        "allowed": admission.allowed,
        "probe": admission.probe,
        "next_probe_at": admission.next_probe_at.isoformat() if admission.next_probe_at else None,
    }
