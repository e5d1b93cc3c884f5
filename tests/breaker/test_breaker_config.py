"""``Circuit`` validation: every bad field fails at construction, naming the circuit and the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.breaker.defaults import resolve_circuit
from airflow_errorguard.exceptions import ErrorGuardConfigError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"failure_rate": 0}, "failure_rate"),
        ({"failure_rate": 1.5}, "failure_rate"),
        ({"failure_rate": True}, "failure_rate"),
        ({"window": 0}, "window"),
        ({"window": 2.5}, "window"),
        ({"window_type": "time", "window": -1}, "window"),
        ({"window_type": "sliding"}, "window_type"),
        ({"minimum_calls": 0}, "minimum_calls"),
        ({"consecutive_failures": 0}, "consecutive_failures"),
        ({"open_duration": 0}, "open_duration"),
        ({"open_duration": "1m"}, "open_duration"),
        ({"open_duration": 100, "max_open_duration": 10}, "max_open_duration"),
        ({"open_duration_growth": 0.5}, "open_duration_growth"),
        ({"half_open_probes": 0}, "half_open_probes"),
        ({"counted_categories": ("transient", "flaky")}, "counted_categories"),
        ({"counted_categories": ()}, "counted_categories"),
        ({"mode": "shadow"}, "mode"),
        ({"failure_rate": None}, "failure_rate"),
    ],
)
def test_bad_fields_are_named(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ErrorGuardConfigError, match=rf"circuit 'crm_api', field '{field}'"):
        Circuit("crm_api", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "has space", "-lead", "x" * 201, "a/b"])
def test_bad_names(name: str) -> None:
    with pytest.raises(ErrorGuardConfigError, match="field 'name'"):
        Circuit(name)


def test_defaults_and_normalisation() -> None:
    c = Circuit(
        "crm_api",
        failure_rate=0.5,
        window=timedelta(minutes=5),
        window_type="time",
        open_duration=timedelta(minutes=2),
        counted_categories=("Transient",),
    )
    assert c.window_seconds == 300
    assert c.counted_categories == ("transient",)
    assert c.counts("transient") and not c.counts("data") and c.counts(None)
    assert Circuit("x").counted_categories == ("transient", "system")
    assert c.to_dict()["open_duration"] == 120
    # Rate off is fine when a consecutive threshold exists; metrics-only circuits need neither.
    Circuit("x", failure_rate=None, consecutive_failures=3)
    Circuit("x", failure_rate=None, mode="metrics_only")


def test_open_duration_growth_is_capped() -> None:
    c = Circuit("x", open_duration=10, open_duration_growth=2, max_open_duration=35)
    assert [c.open_seconds(n) for n in (1, 2, 3, 4, 500)] == [10, 20, 35, 35, 35]
    assert Circuit("x", open_duration=10).open_seconds(7) == 10


def test_resolve_by_name_uses_defaults_then_overrides() -> None:
    defaults = {"failure_rate": 0.3, "open_duration": 5.0, "minimum_calls": 4}
    overrides = {"crm_api": {"open_duration": timedelta(seconds=9)}}
    c = resolve_circuit("crm_api", defaults=defaults, overrides=overrides)
    assert (c.failure_rate, c.open_seconds(1), c.minimum_calls) == (0.3, 9, 4)
    other = resolve_circuit("other", defaults=defaults, overrides=overrides)
    assert other.open_seconds(1) == 5
    # A Circuit object keeps its values; the rules-file entry still applies on top.
    explicit = resolve_circuit(Circuit("crm_api", failure_rate=0.9), defaults=defaults, overrides=overrides)
    assert (explicit.failure_rate, explicit.open_seconds(1)) == (0.9, 9)
    with pytest.raises(ErrorGuardConfigError):
        resolve_circuit(42, defaults=defaults)  # type: ignore[arg-type]


def test_from_dict_rebuilds_what_to_dict_wrote() -> None:
    circuit = Circuit(
        "crm",
        failure_rate=0.3,
        window=timedelta(minutes=2),
        window_type="time",
        open_duration=timedelta(seconds=45),
        counted_categories=("transient", "system"),
    )
    rebuilt = Circuit.from_dict(circuit.to_dict())
    assert rebuilt.to_dict() == circuit.to_dict() and rebuilt.open_seconds(1) == 45
    with pytest.raises(ErrorGuardConfigError, match="failure_rate"):
        Circuit.from_dict({**circuit.to_dict(), "failure_rate": 2})


def test_one_vocabulary_for_open_circuits_and_old_spellings_warn() -> None:
    from airflow_errorguard.breaker.modes import on_open_mode, storage_failure_mode

    assert on_open_mode("reschedule") == "reschedule" and storage_failure_mode("reject") == "reject"
    with pytest.warns(DeprecationWarning, match="'raise' is deprecated; use 'fail'"):
        assert on_open_mode("raise") == "fail"
    with pytest.warns(DeprecationWarning, match="'open' is deprecated; use 'allow'"):
        assert storage_failure_mode("open") == "allow"
    with pytest.warns(DeprecationWarning, match="'closed' is deprecated; use 'reject'"):
        assert storage_failure_mode("Closed") == "reject"
    with pytest.raises(ValueError, match="on_open: expected one of fail, reschedule, got 'wait'"):
        on_open_mode("wait")


def test_circuit_states_are_spelled_once() -> None:
    from airflow_errorguard.alerts.circuits import OPEN_STATES
    from airflow_errorguard.breaker.state import REJECTING, CircuitState
    from airflow_errorguard.storage.tables.circuit import CIRCUIT_STATES

    assert tuple(s.value for s in CircuitState) == CIRCUIT_STATES
    assert OPEN_STATES is REJECTING and "forced_open" in OPEN_STATES
