"""The shared SQL storage of circuits, reached through an Airflow connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.state import CallContext, CircuitSnapshot, Transition
from airflow_errorguard.breaker.storage import CircuitEvent, CircuitStorage, ManualAction
from airflow_errorguard.constants import DEFAULT_CONN_ID

T = TypeVar("T")


class ConnectionCircuitStorage(CircuitStorage):
    """
    The shared SQL storage of circuits behind an Airflow connection: delegates to
    :class:`~airflow_errorguard.storage.circuits.SqlCircuitStorage` of
    ``ErrorGuardHook(conn_id).circuits``, built on first use (never at DAG parse time), so a
    missing or broken connection is a storage failure the breaker handles
    (``on_storage_failure``), not a crash.

    :param conn_id: Connection to errorguard's tables.
    """

    def __init__(self, conn_id: str = DEFAULT_CONN_ID) -> None:
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


__all__ = ["ConnectionCircuitStorage"]
