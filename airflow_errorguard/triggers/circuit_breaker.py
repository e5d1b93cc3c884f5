"""``CircuitBreakerTrigger``: waits in the triggerer until a circuit lets calls through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.modes import storage_failure_mode
from airflow_errorguard.constants import DEFAULT_CONN_ID


def _status(circuit: Circuit, conn_id: str, on_storage_failure: str) -> dict[str, Any]:
    """The circuit's state as the sensor reports it (blocking: run it in a thread)."""
    from airflow_errorguard.breaker.breaker import CircuitBreaker
    from airflow_errorguard.circuits.connection import ConnectionCircuitStorage
    from airflow_errorguard.circuits.registry import circuit_status

    return circuit_status(
        CircuitBreaker(circuit, ConnectionCircuitStorage(conn_id), on_storage_failure=on_storage_failure)
    )


class CircuitBreakerTrigger(BaseTrigger):
    """
    Fire when the circuit is closed, disabled, metrics-only or would let a probe through.

    Reads the shared state through :class:`~airflow_errorguard.hooks.errorguard.ErrorGuardHook` in
    a thread (triggers have no ORM). Never raises: a failure yields ``{"status": "error"}``.

    :param circuit: The circuit's configuration (:meth:`Circuit.to_dict`).
    :param errorguard_conn_id: Connection to errorguard's tables.
    :param poke_interval: Seconds between reads while the circuit is open.
    :param on_storage_failure: ``"allow"`` or ``"reject"`` (``[errorguard] circuit_storage_failure``).
    """

    def __init__(
        self,
        *,
        circuit: dict[str, Any],
        errorguard_conn_id: str = DEFAULT_CONN_ID,
        poke_interval: float = 30.0,
        on_storage_failure: str = "allow",
    ) -> None:
        super().__init__()
        self.config = Circuit.from_dict(circuit)
        if poke_interval <= 0:
            raise ValueError(f"poke_interval must be > 0, got {poke_interval!r}")
        on_storage_failure = storage_failure_mode(on_storage_failure)
        self.circuit = circuit
        self.errorguard_conn_id = errorguard_conn_id
        self.poke_interval = float(poke_interval)
        self.on_storage_failure = on_storage_failure

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "circuit": self.circuit,
                "errorguard_conn_id": self.errorguard_conn_id,
                "poke_interval": self.poke_interval,
                "on_storage_failure": self.on_storage_failure,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            while True:
                status = await asyncio.to_thread(
                    _status, self.config, self.errorguard_conn_id, self.on_storage_failure
                )
                if status["allowed"]:
                    yield TriggerEvent({"status": "success", **status})
                    return
                self.log.info(
                    "circuit %r is %s; next probe at %s",
                    self.config.name,
                    status["state"],
                    status["next_probe_at"],
                )
                await asyncio.sleep(self._wait(status["next_probe_at"]))
        except asyncio.CancelledError:
            raise
        except Exception as err:
            yield TriggerEvent(
                {"status": "error", "circuit": self.config.name, "message": f"{type(err).__name__}: {err}"}
            )

    def _wait(self, next_probe_at: str | None) -> float:
        if next_probe_at is None:
            return self.poke_interval
        until = (datetime.fromisoformat(next_probe_at) - datetime.now(timezone.utc)).total_seconds()
        return max(0.05, min(self.poke_interval, until))
