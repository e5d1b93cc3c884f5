"""
The one place alerts read circuit-breaker state (so the breaker's storage can change behind it).

Reads through the breaker's own storage (:class:`~airflow_errorguard.storage.circuits.SqlCircuitStorage`):
one lookup by the circuit's unique name, no lock.
"""

from __future__ import annotations

from airflow_errorguard.alerts.content import CircuitInfo
from airflow_errorguard.breaker.state import REJECTING
from airflow_errorguard.storage.database import Transactional

#: States in which a circuit rejects calls: failures behind it are folded into its incident.
OPEN_STATES = REJECTING


def circuit_info(tx: Transactional, name: str) -> CircuitInfo | None:
    """The circuit's state and next probe time, or ``None`` if it was never used."""
    from airflow_errorguard.storage.circuits import SqlCircuitStorage

    snapshot = SqlCircuitStorage(tx).load(name)
    if snapshot is None:
        return None
    return CircuitInfo(name, str(snapshot.state), snapshot.next_probe_at)


def circuit_from_exception(error: BaseException | None) -> CircuitInfo | None:
    """The circuit of a ``CircuitOpenError`` anywhere in *error*'s cause/context chain."""
    from airflow_errorguard.exceptions import CircuitOpenError

    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, CircuitOpenError):
            return CircuitInfo(error.name, error.state, error.next_probe_at)
        error = error.__cause__ or error.__context__
        seen += 1
    return None
