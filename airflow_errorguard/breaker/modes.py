"""
What a caller does about an open circuit, spelled once for every entry point.

* :data:`ON_OPEN` — what a call the circuit rejects does: ``"fail"`` (raise
  :class:`~airflow_errorguard.exceptions.CircuitOpenError`) or ``"reschedule"`` (the task is
  rescheduled to the next probe: no retry used, no worker slot held). ``circuit_guard``'s
  ``on_open``, ``GuardedOperator``'s ``on_circuit_open`` and the retry policy use it.
* :data:`ON_STORAGE_FAILURE` — what the breaker does when its shared storage fails: ``"allow"``
  the call (fail-open) or ``"reject"`` it (fail-closed, for one open duration).
  ``[errorguard] circuit_storage_failure`` and ``CircuitBreaker(on_storage_failure=)`` use it.

The 0.1.0 spellings (``"raise"``; ``"open"``/``"closed"``) are still accepted with a
``DeprecationWarning``.
"""

from __future__ import annotations

import warnings

ON_OPEN = ("fail", "reschedule")
ON_STORAGE_FAILURE = ("allow", "reject")
_OLD_ON_OPEN = {"raise": "fail"}
_OLD_ON_STORAGE_FAILURE = {"open": "allow", "closed": "reject"}


def _mode(value: object, choices: tuple[str, ...], old: dict[str, str], what: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if isinstance(text, str) and text in old:
        warnings.warn(
            f"{what}={text!r} is deprecated; use {old[text]!r} (one of {', '.join(choices)})",
            DeprecationWarning,
            stacklevel=3,
        )
        return old[text]
    if text not in choices:
        raise ValueError(f"{what}: expected one of {', '.join(choices)}, got {value!r}")
    return str(text)


def on_open_mode(value: object, what: str = "on_open") -> str:
    """*value* as one of :data:`ON_OPEN` (``"raise"`` → ``"fail"``, deprecated)."""
    return _mode(value, ON_OPEN, _OLD_ON_OPEN, what)


def storage_failure_mode(value: object, what: str = "on_storage_failure") -> str:
    """*value* as one of :data:`ON_STORAGE_FAILURE` (``"open"``/``"closed"``, deprecated)."""
    return _mode(value, ON_STORAGE_FAILURE, _OLD_ON_STORAGE_FAILURE, what)


__all__ = ["ON_OPEN", "ON_STORAGE_FAILURE", "on_open_mode", "storage_failure_mode"]
