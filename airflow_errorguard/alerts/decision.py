"""When a failure deserves an alert (pure): at the first moment waiting is known not to help."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_errorguard.retry.learning import LearnedDecision

#: Categories a retry cannot fix: alert on the retry already (the task lacks a fail-fast policy).
FAIL_FAST = frozenset({"configuration", "data"})


@dataclass(frozen=True)
class AlertDecision:
    """Whether to alert, and the sentence that says why (shown in the alert)."""

    alert: bool
    why: str


def should_alert(
    *,
    final: bool,
    category: str,
    try_number: int,
    max_tries: int | None,
    system_max_retries: int,
    circuit_open: str | None = None,
    learned: LearnedDecision | None = None,
) -> AlertDecision:
    """
    Alert when the failure is final, when retrying cannot help (configuration/data, a system error
    past its budget, history says so for an ``unknown`` error) or when a circuit is open; never on
    a transient retry that still has budget.

    :param final: The task failed for good (``on_failure_callback``), not up for retry.
    :param circuit_open: Name of the open circuit the failure is behind, if any.
    """
    if final:
        budget = f" after {try_number} tr{'y' if try_number == 1 else 'ies'}"
        return AlertDecision(True, f"the task failed for good{budget}")
    if circuit_open:
        return AlertDecision(True, f"circuit {circuit_open} is open: calls are rejected until it recovers")
    if category in FAIL_FAST:
        return AlertDecision(True, f"a {category} error cannot be fixed by retrying (still up for retry)")
    if category == "system" and try_number > system_max_retries:
        return AlertDecision(
            True, f"system error: the {system_max_retries} retries allowed for system errors are used up"
        )
    if category == "unknown" and learned is not None and learned.decision == "fail":
        return AlertDecision(True, f"retrying has not helped before ({learned.reason})")
    left = f"{max_tries - try_number + 1} retries left" if max_tries is not None else "retries left"
    why = f"{category} error with {left}" + (f"; {learned.reason}" if learned is not None else "")
    return AlertDecision(False, why)
