"""errorguard's own exceptions: a real breaker rejecting a call, the retry policy refusing bad
arguments; the storage, budget and alert errors are built as errorguard builds them (their live
paths need an Airflow deployment and a metadata database)."""

from __future__ import annotations

import logging
from typing import Any

from airflow_errorguard.breaker import CircuitBreaker, MemoryCircuitStorage
from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.exceptions import (
    ErrorGuardAlert,
    ErrorGuardBudgetExceeded,
    ErrorGuardCheckpointConflict,
    ErrorGuardStorageConfigError,
    ErrorGuardStorageError,
)
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy
from tests.corpus.model import C, D, Family, S, T


def build(family: Family, closing: list[Any]) -> None:
    breaker = CircuitBreaker(Circuit("corpus_api"), MemoryCircuitStorage())
    listener_log = logging.getLogger("airflow_errorguard.breaker.listener")
    level = listener_log.level
    listener_log.setLevel(logging.ERROR)  # the transition's warning is expected here
    try:
        breaker.force_open(actor="corpus", note="maintenance")
    finally:
        listener_log.setLevel(level)
    family.add("circuit-open", breaker.before_call, T, "the circuit is open: retry after it half-opens")
    family.add(
        "config-error",
        lambda: ErrorGuardRetryPolicy(system_max_retries=-1),
        C,
        "ErrorGuardConfigError: invalid errorguard configuration",
    )
    family.add(
        "storage-transient",
        ErrorGuardStorageError(
            "errorguard storage 'errorguard_db' timed out", conn_id="errorguard_db", transient=True
        ),
        T,
        "storage timed out (transient=True); built as the hook builds it",
        constructed=True,
    )
    family.add(
        "storage-failed",
        ErrorGuardStorageError(
            "errorguard storage 'errorguard_db' rejected the write", conn_id="errorguard_db"
        ),
        {S, T},
        "errorguard's own storage failed (not transient)",
        constructed=True,
    )
    family.add(
        "storage-config",
        ErrorGuardStorageConfigError("no connection 'errorguard_db'", conn_id="errorguard_db"),
        C,
        "the storage connection is missing",
        constructed=True,
    )
    family.add(
        "checkpoint-conflict",
        ErrorGuardCheckpointConflict("checkpoint moved", expected=3, actual=4),
        T,
        "a concurrent writer moved the checkpoint: read it again and retry",
        constructed=True,
    )
    family.add(
        "budget-exceeded",
        ErrorGuardBudgetExceeded("12 of 100 records quarantined (budget 5%)", summary={"quarantined": 12}),
        D,
        "the error budget is exhausted by bad records: data, alert",
        constructed=True,
    )
    family.add(
        "alert-configuration",
        ErrorGuardAlert("record 7: credentials rejected", record_key="7", category="configuration"),
        C,
        "an alert carrying its category",
        constructed=True,
    )
