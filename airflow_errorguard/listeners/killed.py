"""
Tries that died without reporting: recorded from the scheduler side, category ``system``.

A task process killed by SIGKILL (what the OOM killer does), one killed after
``execution_timeout`` or a crash cannot run its callbacks or the worker-side listener; its
supervisor only reports the state. When the scheduler detects the death itself (heartbeat
timeout, a lost worker: the executor reports failure while the try is running) Airflow calls
``on_task_instance_failed`` in the scheduler with a message, which :func:`as_exception` turns
into :class:`~airflow_errorguard.exceptions.TaskProcessDied`. Every other silent death is found
when the DAG run finishes (``on_dag_run_success`` / ``on_dag_run_failed``, run by the scheduler):
each failed try of the run without an error event gets one, with the reason Airflow's records
give (its audit log says "heartbeat timeout" or "state mismatch"; otherwise "the process died").

Alerts: for a heartbeat timeout or a state mismatch Airflow asks the DAG processor to run the
task's failure callbacks itself. For a try that failed for good and whose death Airflow noticed
nowhere, :func:`request_failure_callbacks` sends the same request once its event is recorded,
so ``ErrorGuardCallback`` alerts through the DAG's notifiers (the recorded event makes the
callback's verdict the listener's, and the incident deduplicates as for any failure).
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.listeners import hookimpl

from airflow_errorguard.exceptions import TaskProcessDied

log = logging.getLogger(__name__)

DIED = (
    "the task process died without reporting an error (killed by a signal such as SIGKILL — what "
    "the OOM killer sends —, killed after execution_timeout, or crashed)"
)
_HOW = {
    "heartbeat timeout": "its heartbeat stopped (heartbeat timeout): the task process or its worker died",
    "state mismatch": (
        "the executor reported it failed while it was running: its worker was lost or it was killed "
        "from outside"
    ),
}


def as_exception(error: BaseException | str | None) -> BaseException:
    """The failure as an exception: Airflow's scheduler-side messages become :class:`TaskProcessDied`."""
    if isinstance(error, BaseException):
        return error
    text = str(error or "")
    lowered = text.lower()
    if "heartbeat" in lowered:
        return TaskProcessDied(f"{_HOW['heartbeat timeout']}: {text}")
    if "reported that the task instance" in lowered or "killed externally" in lowered:
        return TaskProcessDied(f"{_HOW['state mismatch']}: {text}")
    return Exception(text or "task failed")


def unreported_tries(dag_id: str, run_id: str) -> list[tuple[Any, str, str]]:
    """``(identity, state, how)`` of the run's failed tries (Airflow's records; needs the ORM)."""
    from airflow.models.log import Log
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from airflow_errorguard.storage.identity import TaskIdentity

    failed = ("failed", "up_for_retry")
    found: list[tuple[Any, str, str]] = []
    with create_session() as session:
        rows: list[Any] = []
        for model in (TaskInstanceHistory, TaskInstance):
            rows += session.execute(
                select(model.task_id, model.map_index, model.try_number, model.state).where(
                    model.dag_id == dag_id, model.run_id == run_id, model.state.in_(failed)
                )
            ).all()
        events = session.execute(
            select(Log.task_id, Log.map_index, Log.try_number, Log.event).where(
                Log.dag_id == dag_id, Log.run_id == run_id, Log.event.in_(tuple(_HOW))
            )
        ).all()
        how = {(t, m, n): _HOW[e] for t, m, n, e in events}
        for task_id, map_index, try_number, state in rows:
            identity = TaskIdentity(dag_id, task_id, run_id, map_index, try_number)
            reason = how.get((task_id, map_index, try_number), DIED)
            found.append((identity, str(getattr(state, "value", state)), reason))
    return found


def record_unreported(dag_id: str, run_id: str) -> int:
    """Record a ``system`` event for each failed try of the run that has none; returns how many."""
    from airflow_errorguard.alerts.recording import record_failure
    from airflow_errorguard.configured import build_classifier
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook

    hook = ErrorGuardHook()
    classifier = build_classifier()
    recorded = 0
    for identity, state, how in unreported_tries(dag_id, run_id):
        if hook.events.try_recorded(identity):
            continue
        died = TaskProcessDied(f"try {identity.try_number} ended {state}: {how}")
        final = state == "failed"
        appended = record_failure(
            hook, identity, classifier.classify(died), died, final=final, max_tries=None
        )
        recorded += appended
        if appended and final and how == DIED:  # no callback ran for it: Airflow's requests name a cause
            request_failure_callbacks(identity, str(died))
    if recorded:
        log.warning(
            "errorguard: %d tries of %s/%s died without reporting; recorded as system",
            recorded,
            dag_id,
            run_id,
        )
    return recorded


def request_failure_callbacks(identity: Any, reason: str) -> bool:
    """
    Ask the DAG processor to run the task's ``on_failure_callback`` for a try that failed for good
    without reporting, as Airflow itself does for a heartbeat timeout: the scheduler has only the
    serialized DAG (which says whether the task has failure callbacks, not what they are), and
    the DAG processor loads the DAG file at the run's bundle version, so ``ErrorGuardCallback``
    alerts with the DAG's own notifiers (and the task's other failure callbacks run, as they
    would have had the process reported). Only the task instance's current try qualifies.
    Returns whether a request was queued.
    """
    from airflow.api_fastapi.execution_api.datamodels.taskinstance import DagRun, TIRunContext
    from airflow.callbacks.callback_requests import TaskCallbackRequest
    from airflow.callbacks.database_callback_sink import DatabaseCallbackSink
    from airflow.models.dagbag import DBDagBag
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    with create_session() as session:
        ti = session.scalar(
            select(TaskInstance).where(
                *(getattr(TaskInstance, k) == v for k, v in identity.as_columns().items())
            )
        )
        if ti is None or ti.state != TaskInstanceState.FAILED or ti.dag_version_id is None:
            return False
        dag = DBDagBag().get_dag_for_run(ti.dag_run, session)
        task = dag.get_task(ti.task_id) if dag is not None and dag.has_task(ti.task_id) else None
        if task is None or not task.has_on_failure_callback:
            return False
        pinned = ti.dag_version is not None and ti.dag_run.bundle_version is not None
        request = TaskCallbackRequest(
            filepath=ti.dag_model.relative_fileloc or "",
            bundle_name=ti.dag_version.bundle_name if ti.dag_version else ti.dag_model.bundle_name,
            bundle_version=ti.dag_version.bundle_version if pinned else ti.dag_run.bundle_version,
            ti=ti,
            msg=reason,
            task_callback_type=TaskInstanceState.FAILED,
            context_from_server=TIRunContext(
                dag_run=DagRun.model_validate(ti.dag_run, from_attributes=True),
                max_tries=ti.max_tries,
                variables=[],
                connections=[],
                xcom_keys_to_clear=[],
            ),
        )
        DatabaseCallbackSink().send(request, session=session)
    log.info("errorguard: asked the DAG processor to run the failure callbacks of %s", identity)
    return True


def _on_run_finished(dag_run: Any) -> None:
    from airflow_errorguard.listeners.failures import _dispatch, _enabled, _warn_once

    try:
        if _enabled():
            dag_id, run_id = dag_run.dag_id, dag_run.run_id
            _dispatch(lambda: record_unreported(dag_id, run_id))
    except Exception as err:
        _warn_once(err)


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    """A run succeeded: its tries killed before a retry succeeded still get their event."""
    _on_run_finished(dag_run)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    """A run failed: record the tries that died without reporting."""
    _on_run_finished(dag_run)
