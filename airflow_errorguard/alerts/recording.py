"""Record a failed try in ``errorguard_error_event`` once, whoever sees it first (callback or listener)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from airflow_errorguard import metrics
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.events import ErrorEvent
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.tables.error_event import error_event_table as e


def try_recorded(tx: Transactional, identity: TaskIdentity) -> bool:
    """Whether an event of this very try exists (one indexed lookup on dag, task, time)."""
    stmt = (
        select(e.c.id)
        .where(
            e.c.dag_id == identity.dag_id,
            e.c.task_id == identity.task_id,
            e.c.run_id == identity.run_id,
            e.c.map_index == identity.map_index,
            e.c.try_number == identity.try_number,
        )
        .limit(1)
    )
    with tx.transaction("checking whether a try is recorded", write=False) as conn:
        return conn.execute(stmt).first() is not None


def record_failure(
    hook: Any,
    identity: TaskIdentity,
    verdict: Classification,
    error: Any,
    *,
    final: bool,
    max_tries: int | None,
) -> bool:
    """
    Append the try's error event unless one exists (the retry policy's ``on_decision``, the
    callback and the listener may all see the same try: callbacks run before listeners in the
    worker, so the first one records). On a final failure, mark the task instance's events
    ``failed`` (what learning reads). Returns whether an event was appended.
    """
    appended = False
    if not try_recorded(hook.database, identity):
        hook.events.append(
            ErrorEvent.from_classification(
                identity,
                verdict,
                error=error if isinstance(error, BaseException) else None,
                decision="fail" if final else "retry",
                max_tries=max_tries,
            )
        )
        metrics.error_classified(str(verdict.category), dag_id=identity.dag_id)
        appended = True
    if final:
        hook.events.set_outcome(identity, "failed")
    return appended
