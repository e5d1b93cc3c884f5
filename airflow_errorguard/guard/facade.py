"""
``ErrorGuard.for_context(context)``: errorguard's building blocks for hand-written task code.

::

    @task(retry_policy=ErrorGuardRetryPolicy(), retries=3)
    def load(context=None):
        guard = ErrorGuard.for_context(context)
        start = guard.checkpoint.get(default=0)
        for order in fetch_orders(after=start):
            try:
                guard.run_with_retry(post_order, order)
            except ValueError as exc:
                guard.quarantine(order, exc, record_key=order["id"])
            guard.checkpoint.save(order["id"], position=order["id"])
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.retry.runner import InProcessRetrier
from airflow_errorguard.storage.checkpoints import Checkpoint, CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine_types import QuarantineItem

if TYPE_CHECKING:
    from airflow_errorguard.classification.classifier import Classifier
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook

T = TypeVar("T")


class TaskCheckpoint:
    """
    One checkpoint of a task instance, saved with compare-and-swap on the version last read.

    :raises ErrorGuardCheckpointConflict: on :meth:`save`, when someone else saved since.
    """

    def __init__(self, repository: CheckpointRepository, key: CheckpointKey) -> None:
        self.repository = repository
        self.key = key
        self._version: int | None = None

    def load(self) -> Checkpoint | None:
        """The stored checkpoint (state, position, version), or ``None``."""
        found = self.repository.get(self.key)
        self._version = found.version if found else 0
        return found

    def get(self, default: Any = None) -> Any:
        """The saved state, or *default*."""
        found = self.load()
        return default if found is None else found.state

    def save(self, state: Any, *, position: str | int | None = None) -> Checkpoint:
        """Save *state* (JSON) and *position*; returns the checkpoint at its new version."""
        if self._version is None:
            self.load()
        saved = self.repository.save(
            self.key, state=state, position=position, expected_version=self._version or 0
        )
        self._version = saved.version
        return saved


class ErrorGuard:
    """
    Quarantine, checkpoint and in-process retry for one task instance.

    :param hook: Where errorguard's tables are.
    :param identity: The task instance try (quarantine and checkpoint scope, map index included).
    :param checkpoint_name: Name of :attr:`checkpoint` (scoped to this task instance and run).
    :param in_process_retry: Backoff of :meth:`run_with_retry`.
    :param classifier: Classifier for quarantine rows and retries (default: the process default);
        it classifies in the task's scope (rules scoped to its DAG or task apply).
    """

    def __init__(
        self,
        hook: ErrorGuardHook,
        identity: TaskIdentity,
        *,
        checkpoint_name: str = "default",
        in_process_retry: Backoff | None = None,
        classifier: Classifier | None = None,
    ) -> None:
        self.hook = hook
        self.identity = identity
        self.classifier = classifier
        self.scope = {"dag_id": identity.dag_id, "task_id": identity.task_id}
        self.retrier = InProcessRetrier(in_process_retry, classifier, scope=self.scope)
        self.checkpoint = TaskCheckpoint(
            hook.checkpoints, CheckpointKey.for_task(identity, checkpoint_name, per_run=True)
        )

    @classmethod
    def for_context(
        cls, context: Mapping[str, Any], *, errorguard_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any
    ) -> ErrorGuard:
        """
        The guard of the running task instance (``context`` is the task's context); it classifies
        with the task's classifier (its retry policy's) unless given ``classifier=``.
        """
        from airflow_errorguard.classification.task_scope import task_classifier
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook

        if kwargs.get("classifier") is None:
            kwargs["classifier"] = task_classifier(context.get("task"))
        hook = ErrorGuardHook(errorguard_conn_id=errorguard_conn_id)
        return cls(hook, TaskIdentity.from_context(context), **kwargs)

    def quarantine(self, record: Any, exc: BaseException, *, record_key: object = None) -> bool:
        """
        Quarantine *record*, which failed with *exc* (classified here). Without *record_key*, the
        key is a digest of the record's ``repr``. Returns whether a new row was written (a record
        already quarantined by this task instance is skipped).
        """
        if record_key is None:
            record_key = "repr-sha256:" + hashlib.sha256(repr(record).encode("utf-8", "replace")).hexdigest()
        verdict = (self.classifier or _default_classifier()).classify(exc, self.scope)
        item = QuarantineItem.from_exception(str(record_key), record, exc, verdict)
        return self.hook.quarantine.add(self.identity, [item]).inserted == 1

    def run_with_retry(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)``, transient failures retried in-process."""
        return self.retrier.call(fn, *args, **kwargs)


def _default_classifier() -> Classifier:
    from airflow_errorguard.classification.defaults import get_default_classifier

    return get_default_classifier()
