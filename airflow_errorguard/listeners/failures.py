"""
Zero-change coverage: record every task failure of every DAG in ``errorguard_error_event``.

Registered by :class:`~airflow_errorguard.plugins.errorguard.ErrorGuardPlugin` (``listeners``);
switched by ``[errorguard] listener_enabled``. It runs in the worker after the task's callbacks,
so a try that ``ErrorGuardCallback`` (or a retry policy's ``on_decision``) already recorded is
skipped. It records the verdict the task's retry policy decided on, else classifies with the task's
classifier in the task's scope (rules scoped to its DAG or task apply). Successes mark the task
instance's earlier events ``success`` (what learning reads). It never raises: a storage problem
is logged once per process and the task is untouched.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import Any

from airflow.listeners import hookimpl

log = logging.getLogger(__name__)
_warned: set[str] = set()


def _enabled() -> bool:
    from airflow_errorguard.settings import load_settings

    return load_settings().listener_enabled


def _warn_once(err: BaseException) -> None:
    key = type(err).__name__
    if key not in _warned:
        _warned.add(key)
        log.warning("errorguard listener could not record the failure (task unaffected): %s", err)


def _state(task_instance: Any) -> str:
    state = getattr(task_instance, "state", None)
    return str(getattr(state, "value", state) or "")


def record(task_instance: Any, error: BaseException | str | None) -> bool:
    """Record *task_instance*'s failed try unless already recorded; returns whether it appended."""
    from airflow_errorguard.alerts.recording import record_failure
    from airflow_errorguard.classification.task_scope import classify_for_task
    from airflow_errorguard.configured import build_classifier
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook
    from airflow_errorguard.storage.identity import TaskIdentity

    identity = TaskIdentity.from_ti(task_instance)
    from airflow_errorguard.listeners.killed import as_exception

    exc = as_exception(error)  # a scheduler-side message (heartbeat timeout, lost worker): TaskProcessDied
    verdict = classify_for_task(task_instance, exc, None, build_classifier)
    final = _state(task_instance) != "up_for_retry"
    return record_failure(
        ErrorGuardHook(),
        identity,
        verdict,
        exc,
        final=final,
        max_tries=getattr(task_instance, "max_tries", None),
    )


def _safely(work: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            work()
        except Exception as err:
            _warn_once(err)

    return run


def _dispatch(work: Callable[[], object]) -> None:
    """
    Run *work* now in a task process; in a server process (the scheduler handling a task that
    died, the api-server) Airflow calls the hook inside its own open transaction, and on SQLite
    our write would wait for that transaction's lock while it waits for us -- so record from a
    short-lived thread, which writes once Airflow's transaction has committed.
    """
    from airflow_errorguard.hooks.runtime import orm_blocked

    if orm_blocked():
        _safely(work)()
        return
    thread = threading.Thread(target=_tracked(_safely(work)), name="errorguard-listener", daemon=True)
    with _PENDING_LOCK:
        if not _PENDING_HOOK[0]:
            # Registered at the first thread, so after the exit hooks of what the process set up
            # before (atexit runs last-registered first): a record still being written when the
            # process ends (``airflow dags test``, ``dag.test()``) finishes while the interpreter
            # is whole, instead of racing its shutdown.
            atexit.register(join_pending)
            _PENDING_HOOK[0] = True
        _PENDING.add(thread)
    thread.start()


#: Listener threads still running, and whether :func:`join_pending` is registered at exit.
_PENDING: set[threading.Thread] = set()
_PENDING_LOCK = threading.Lock()
_PENDING_HOOK = [False]
#: How long the process waits at exit for records still being written.
EXIT_WAIT_S = 15.0


def _tracked(run: Callable[[], None]) -> Callable[[], None]:
    def tracked() -> None:
        try:
            run()
        finally:
            with _PENDING_LOCK:
                _PENDING.discard(threading.current_thread())

    return tracked


def join_pending(timeout: float = EXIT_WAIT_S) -> int:
    """Wait (at most *timeout* seconds in all) for listener threads still recording; how many remain."""
    import time

    deadline = time.monotonic() + timeout
    with _PENDING_LOCK:
        threads = list(_PENDING)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _PENDING_LOCK:
        return len(_PENDING)


@hookimpl
def on_task_instance_failed(
    previous_state: Any, task_instance: Any, error: BaseException | str | None
) -> None:
    """Record the failed try (``up_for_retry`` or ``failed``)."""
    try:
        if _enabled():
            _dispatch(lambda: record(task_instance, error))
    except Exception as err:
        _warn_once(err)


def _mark_fixed(task_instance: Any) -> None:
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook
    from airflow_errorguard.storage.identity import TaskIdentity

    identity = TaskIdentity.from_ti(task_instance)
    if identity.try_number > 1:  # a first-try success has no failures to mark
        ErrorGuardHook().events.set_outcome(identity, "success")


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
    """Mark the task instance's recorded failures as fixed by a retry."""
    try:
        if _enabled():
            _dispatch(lambda: _mark_fixed(task_instance))
    except Exception as err:
        _warn_once(err)
