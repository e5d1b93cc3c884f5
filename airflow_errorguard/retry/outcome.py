"""What :class:`~airflow_errorguard.retry.policy.ErrorGuardRetryPolicy` reports about a decision."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.safe_read import safe_str
from airflow_errorguard.compat import RetryDecision
from airflow_errorguard.task_context import task_ref

if TYPE_CHECKING:
    from airflow.sdk.definitions.context import Context

log = logging.getLogger("airflow_errorguard.retry.policy")


@dataclass(frozen=True)
class PolicyDecision:
    """What :class:`ErrorGuardRetryPolicy` decided for one failed try, as given to ``on_decision``."""

    exception: BaseException
    classification: Classification
    decision: RetryDecision
    try_number: int
    max_tries: int
    dag_id: str | None
    task_id: str | None
    run_id: str | None = None
    map_index: int = -1


def could_not_decide(err: Exception) -> RetryDecision:
    """Airflow's default, when errorguard failed to decide (logged with the error)."""
    log.warning("errorguard retry policy failed; Airflow's default applies: %r", err, exc_info=True)
    return RetryDecision(reason=f"errorguard could not decide ({type(err).__name__}: {safe_str(err)[:200]})")


def task_ids(context: Context | None) -> tuple[str | None, str | None, str | None, int]:
    """``(dag_id, task_id, run_id, map_index)`` of the failed task instance, where known."""
    ref = task_ref(context)
    return ref.dag_id, ref.task_id, ref.run_id, ref.map_index


__all__ = ["PolicyDecision", "could_not_decide", "task_ids"]
