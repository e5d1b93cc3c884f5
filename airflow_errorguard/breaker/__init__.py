"""
Circuit breakers shared by every worker and DAG: pure state machine, storage interface, memory storage.

Nothing here imports Airflow; the SQL storage lives in :mod:`airflow_errorguard.storage.circuits`.
"""

from __future__ import annotations

from airflow_errorguard.breaker.breaker import CircuitBreaker
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.listener import CircuitListener, register_listener, unregister_listener
from airflow_errorguard.breaker.state import Admission, CallContext, CircuitSnapshot, CircuitState, Transition
from airflow_errorguard.breaker.storage import CircuitEvent, CircuitStorage, MemoryCircuitStorage

__all__ = [
    "Admission",
    "CallContext",
    "Circuit",
    "CircuitBreaker",
    "CircuitEvent",
    "CircuitListener",
    "CircuitSnapshot",
    "CircuitState",
    "CircuitStorage",
    "MemoryCircuitStorage",
    "Transition",
    "register_listener",
    "unregister_listener",
]
