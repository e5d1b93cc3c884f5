"""
Circuit breakers inside Airflow: resolve a circuit's configuration and bind it to the shared storage.

:func:`get_circuit_breaker` is what operators, sensors, triggers, retry policies and
:func:`~airflow_errorguard.circuits.outcomes.circuit_guard` use. The configuration comes from the
``[errorguard] circuit_*`` defaults, the rules file's ``circuits:`` section and Python
(:class:`~airflow_errorguard.breaker.config.Circuit`); the state lives in errorguard's tables,
reached through the ``errorguard_default`` connection (never Airflow's ORM).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from airflow_errorguard.breaker.breaker import CircuitBreaker
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.defaults import circuit_defaults, resolve_circuit
from airflow_errorguard.breaker.listener import CircuitListener
from airflow_errorguard.breaker.state import Admission, CallContext, CircuitSnapshot, Transition
from airflow_errorguard.breaker.storage import CircuitEvent, CircuitStorage, ManualAction
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.task_context import task_ref

T = TypeVar("T")


@lru_cache(maxsize=8)
def _overrides(path: str, mtime: float) -> dict[str, dict[str, Any]]:
    from airflow_errorguard.circuits.rules_file import load_circuit_overrides

    return load_circuit_overrides(path)


def circuit_overrides(rules_file: str) -> dict[str, dict[str, Any]]:
    """The rules file's ``circuits:`` section (cached per modification time)."""
    if not rules_file:
        return {}
    try:
        mtime = os.stat(rules_file).st_mtime
    except OSError as err:
        raise ErrorGuardConfigError(f"rules file {rules_file}: cannot be read: {err}") from err
    return _overrides(rules_file, mtime)


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


class _HookStorage(CircuitStorage):
    """Delegates to ``hook.circuits`` on every call, so a missing connection is a storage failure."""

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        self._hook: Any = None  # built on first use: never at DAG parse time

    @property
    def target(self) -> CircuitStorage:
        from airflow_errorguard.exceptions import ErrorGuardStorageError

        if self._hook is None:
            from airflow_errorguard.hooks.errorguard import ErrorGuardHook

            self._hook = ErrorGuardHook(errorguard_conn_id=self.conn_id)
        try:
            return self._hook.circuits
        except ErrorGuardStorageError:
            raise
        except Exception as err:  # connection lookup problems
            raise ErrorGuardStorageError(
                f"errorguard circuit storage on connection {self.conn_id!r} is unavailable: {err}",
                conn_id=self.conn_id,
                transient=True,
            ) from err

    def apply(
        self,
        config: Circuit,
        step: Callable[[CircuitSnapshot], tuple[T, list[Transition]]],
        *,
        context: CallContext,
        manual: ManualAction | None = None,
    ) -> tuple[T, CircuitSnapshot]:
        return self.target.apply(config, step, context=context, manual=manual)

    def load(self, name: str) -> CircuitSnapshot | None:
        return self.target.load(name)

    def add_rejected(self, name: str, count: int = 1) -> None:
        self.target.add_rejected(name, count)

    def events(self, name: str, *, limit: int = 100) -> list[CircuitEvent]:
        return self.target.events(name, limit=limit)

    def names(self) -> list[str]:
        return self.target.names()

    def save_config(self, config: Circuit) -> None:
        self.target.save_config(config)


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

    settings = load_settings()
    config = resolve_circuit(
        circuit, defaults=circuit_defaults(settings), overrides=circuit_overrides(settings.rules_file)
    )
    return CircuitBreaker(
        config,
        storage or _HookStorage(conn_id),
        listeners=(_METRICS, *listeners),
        on_storage_failure=settings.circuit_storage_failure,
        context=context_of(context),
    )


def circuit_status(breaker: CircuitBreaker) -> dict[str, Any]:
    """What the sensor reports (XCom ``circuit_state``): state, whether a call goes through, next probe."""
    admission = breaker.peek()
    return {
        "circuit": breaker.name,
        "state": "storage_unavailable" if admission.storage_unavailable else admission.state.value,
        "allowed": admission.allowed,
        "probe": admission.probe,
        "next_probe_at": admission.next_probe_at.isoformat() if admission.next_probe_at else None,
    }
