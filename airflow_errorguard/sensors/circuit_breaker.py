"""``CircuitBreakerSensor``: hold downstream tasks while a shared circuit is open."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.circuits.registry import validate_circuit_argument
from airflow_errorguard.compat import conf
from airflow_errorguard.constants import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

XCOM_KEY = "circuit_state"


def hold_reason(status: dict[str, Any]) -> str:
    """Until when the sensor holds, in words (a forced-open circuit has no next probe)."""
    if status.get("next_probe_at"):
        return f"next probe at {status['next_probe_at']}"
    return {
        "forced_open": "forced open by hand: held until someone closes or resets it",
        "half_open": "probe calls are in flight: held until they settle",
        "storage_unavailable": "the circuit's storage cannot be read: held until it can",
    }.get(str(status.get("state")), "no probe is scheduled")


class CircuitBreakerSensor(BaseSensorOperator):
    """
    Succeed when the circuit is closed, disabled or metrics-only, or would let a probe through;
    wait while it is open. On timeout fail, or skip with ``soft_fail=True``.

    Placed before a group of tasks it holds them while the dependency is down. The circuit's
    state (``circuit``, ``state``, ``allowed``, ``probe``, ``next_probe_at``) is pushed to XCom
    under ``circuit_state`` on every poke and returned when the sensor succeeds. The sensor does
    not take a probe slot: the downstream task that calls the dependency does.

    :param circuit: The circuit's name (configured from ``[errorguard]`` and the rules file) or a
        :class:`~airflow_errorguard.breaker.config.Circuit`.
    :param errorguard_conn_id: Connection to errorguard's tables.
    :param deferrable: Wait in the triggerer (:class:`CircuitBreakerTrigger`) instead of a worker
        slot (default ``[operators] default_deferrable``).
    :param mode: ``"reschedule"`` (default: frees the worker slot between pokes) or ``"poke"``.
    """

    template_fields: Sequence[str] = ()
    ui_color = "#f7d6d6"

    def __init__(
        self,
        *,
        circuit: Circuit | str,
        errorguard_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        mode: str = "reschedule",
        **kwargs: Any,
    ) -> None:
        super().__init__(mode=mode, **kwargs)
        self.circuit = validate_circuit_argument(circuit, f"{self.task_id}")
        self.errorguard_conn_id = errorguard_conn_id
        self.deferrable = deferrable

    def _status(self, context: Context) -> dict[str, Any]:
        from airflow_errorguard.circuits.registry import circuit_status, get_circuit_breaker

        return circuit_status(
            get_circuit_breaker(self.circuit, conn_id=self.errorguard_conn_id, context=context)
        )

    def poke(self, context: Context) -> PokeReturnValue:
        status = self._status(context)
        context["ti"].xcom_push(key=XCOM_KEY, value=status)
        if status["allowed"]:
            self.log.info(
                "circuit %r is %s: letting downstream tasks run", status["circuit"], status["state"]
            )
        else:
            self.log.info(
                "circuit %r is %s: holding downstream tasks (%s)",
                status["circuit"],
                status["state"],
                hold_reason(status),
            )
        return PokeReturnValue(is_done=bool(status["allowed"]), xcom_value=status)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        poked = self.poke(context)
        if poked.is_done:
            return poked.xcom_value
        from airflow_errorguard.circuits.registry import resolve
        from airflow_errorguard.settings import load_settings
        from airflow_errorguard.triggers.circuit_breaker import CircuitBreakerTrigger

        self.defer(
            trigger=CircuitBreakerTrigger(
                circuit=resolve(self.circuit).to_dict(),
                errorguard_conn_id=self.errorguard_conn_id,
                poke_interval=self.poke_interval,
                on_storage_failure=load_settings().circuit_storage_failure,
            ),
            method_name="execute_complete",
            timeout=self.timeout,
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: succeed with the state, or fail on a trigger error."""
        event = event or {}
        if event.get("status") != "success":
            raise AirflowException(
                f"circuit breaker trigger failed for {event.get('circuit')!r}: {event.get('message')}"
            )
        status = {k: v for k, v in event.items() if k != "status"}
        context["ti"].xcom_push(key=XCOM_KEY, value=status)
        self.log.info(
            "circuit %r is %s: letting downstream tasks run", status.get("circuit"), status.get("state")
        )
        return status
