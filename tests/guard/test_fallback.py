"""``fallback=``: transient errors after their retries, and system errors, are served by the fallback."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.exceptions import ErrorGuardAlert
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore

pytestmark = pytest.mark.unit
CACHE = {n: f"cached {n}" for n in range(20)}


def primary(n: int) -> str:
    if n in (3, 4):
        raise ConnectionResetError("price service reset the connection")  # every attempt
    if n == 9:
        raise MemoryError("cannot allocate the response buffer")  # system
    if n == 12:
        raise ValueError("price is not a number")  # data: quarantined, never served
    return f"live {n}"


def run(fallback: Any) -> tuple[dict[str, Any], list[str], MemoryGuardStore]:
    store, written = MemoryGuardStore(), []
    options = GuardOptions(batch_size=5, in_process_retry=Backoff(max_attempts=2))
    summary = GuardedRun(
        primary, store, options, sink=written.extend, sleep=lambda _: None, fallback=fallback
    ).run(lambda position: range(position, 15))
    return summary, written, store


def test_transient_after_retries_and_system_errors_are_served_by_the_fallback() -> None:
    summary, written, store = run(CACHE.__getitem__)
    assert written[3:5] == ["cached 3", "cached 4"] and written[9] == "cached 9"
    assert (summary["served_by_fallback"], summary["fallback_keys"]) == (3, ["3", "4", "9"])
    assert summary["retried_in_process"] == 2, "the primary's retries were spent first"
    assert list(store.items) == ["12"], "a data error is quarantined, not served"
    assert summary["succeeded"] == 14


def test_when_the_fallback_fails_too_the_primary_error_stands() -> None:
    def broken(n: int) -> str:
        raise KeyError(n)

    with pytest.raises(ConnectionResetError):
        run(broken)

    def only_transient(n: int) -> str:
        if n == 9:
            raise KeyError(n)
        return CACHE[n]

    with pytest.raises(ErrorGuardAlert, match="record 9: MemoryError"):
        run(only_transient)
