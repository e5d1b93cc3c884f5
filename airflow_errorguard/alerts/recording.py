"""Record a failed try in ``errorguard_error_event`` once, whoever sees it first (callback or listener)."""

from __future__ import annotations

from typing import Any

from airflow_errorguard import metrics
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.storage.events import ErrorEvent
from airflow_errorguard.storage.identity import TaskIdentity


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
    if not hook.events.try_recorded(identity):
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
