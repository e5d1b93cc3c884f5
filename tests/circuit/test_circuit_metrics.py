"""Circuit transitions and rejections reach Airflow's Stats as errorguard metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_mock import MockerFixture

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.storage import MemoryCircuitStorage
from airflow_errorguard.circuits.registry import get_circuit_breaker
from airflow_errorguard.exceptions import CircuitOpenError

pytestmark = pytest.mark.unit


def test_transitions_and_rejections_are_counted(mocker: MockerFixture) -> None:
    from airflow_errorguard.compat import Stats

    incr = mocker.patch.object(Stats, "incr")
    circuit = Circuit("metrics_api", consecutive_failures=2, open_duration=timedelta(minutes=5))
    breaker = get_circuit_breaker(circuit, storage=MemoryCircuitStorage())
    for _ in range(2):
        breaker.record_failure("transient")
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    calls = [(c.args[0], c.kwargs["tags"]) for c in incr.call_args_list]
    assert (
        "errorguard.circuit.transition",
        {"circuit": "metrics_api", "from_state": "closed", "to_state": "open"},
    ) in calls
    assert ("errorguard.circuit.rejected", {"circuit": "metrics_api"}) in calls
