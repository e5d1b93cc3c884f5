"""Circuit defaults (from ``[errorguard] circuit_*`` options) and resolving a circuit by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.exceptions import ErrorGuardConfigError


def circuit_defaults(settings: Any) -> dict[str, Any]:
    """
    :class:`Circuit` keyword arguments from the ``[errorguard] circuit_*`` options of *settings*
    (an :class:`~airflow_errorguard.settings.ErrorGuardSettings`).

    :raises ErrorGuardConfigError: an option is invalid (the message names the option).
    """
    window: int | float = settings.circuit_window
    if settings.circuit_window_type == "count":
        if float(window) != int(window):
            raise ErrorGuardConfigError(
                f"[errorguard] circuit_window: a count window needs a whole number of calls, got {window}"
            )
        window = int(window)
    values = {
        "failure_rate": settings.circuit_failure_rate,
        "window": window,
        "window_type": settings.circuit_window_type,
        "minimum_calls": settings.circuit_minimum_calls,
        "consecutive_failures": settings.circuit_consecutive_failures or None,
        "open_duration": settings.circuit_open_duration,
        "open_duration_growth": settings.circuit_open_duration_growth,
        "max_open_duration": settings.circuit_max_open_duration,
        "half_open_probes": settings.circuit_half_open_probes,
    }
    try:
        Circuit("defaults", **values)
    except ErrorGuardConfigError as err:
        raise ErrorGuardConfigError(
            f"[errorguard] circuit_* options: {str(err).replace(chr(39) + 'defaults' + chr(39), 'defaults')}"
        ) from err
    return values


def resolve_circuit(
    circuit: Circuit | str,
    *,
    defaults: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Circuit:
    """
    The effective configuration of *circuit*.

    A name takes *defaults* (the ``[errorguard]`` options), then its entry in *overrides* (the
    rules file's ``circuits:`` section). A :class:`Circuit` object keeps its own values, with its
    rules-file entry applied on top, so operators can tune a circuit without a deploy.
    """
    if not isinstance(circuit, (Circuit, str)):
        raise ErrorGuardConfigError(f"circuit: expected a Circuit or a circuit name, got {circuit!r}")
    entry = dict((overrides or {}).get(circuit if isinstance(circuit, str) else circuit.name, {}))
    if isinstance(circuit, Circuit):
        return circuit.with_overrides(**entry) if entry else circuit
    return Circuit(circuit, **{**dict(defaults or {}), **entry})
