"""
One classifier per task, one verdict per failed try (pure Python: duck-typed, no Airflow imports).

The guarded engine, the retry policy, :class:`~airflow_errorguard.alerts.callback.ErrorGuardCallback`
and the failure listener all see the same failed try. They decide with the **task's** classifier
(:func:`task_classifier`) and with the task's ``dag_id``/``task_id`` (so scoped rules apply), and
the verdict the retry policy acted on is remembered (:func:`remember_verdict`) so that the
callback and the listener, which run after it in the same worker process, record *that* verdict
(:func:`verdict_for_try`) instead of deciding again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from airflow_errorguard.classification.cached_decision import CachedVerdict
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification

#: Verdicts kept per process; a task process handles one try, a test process a few hundred.
MAX_REMEMBERED = 64

_TryKey = tuple[str, str, str, int, int]
_remembered: OrderedDict[_TryKey, tuple[BaseException, Classification | CachedVerdict]] = OrderedDict()
_lock = threading.Lock()


def task_classifier(task: Any) -> Classifier | None:
    """
    The classifier *task* decides with: its own ``classifier`` (``GuardedOperator``), else its
    retry policy's (``ErrorGuardRetryPolicy``); ``None`` when the task names none.
    """
    own = getattr(task, "classifier", None)
    if isinstance(own, Classifier):
        return own
    policy_classifier = getattr(getattr(task, "retry_policy", None), "classifier", None)
    return policy_classifier if isinstance(policy_classifier, Classifier) else None


def _try_key(ti: Any) -> _TryKey | None:
    try:
        map_index = getattr(ti, "map_index", -1)
        key = (
            ti.dag_id,
            ti.task_id,
            ti.run_id,
            -1 if map_index is None else int(map_index),
            int(getattr(ti, "try_number", 0) or 0),
        )
    except (AttributeError, TypeError, ValueError):
        return None
    return key if all(isinstance(part, str) for part in key[:3]) else None


def remember_verdict(ti: Any, exception: BaseException, verdict: Classification | CachedVerdict) -> None:
    """Remember the verdict a decision was taken on, for this try of *ti* and this exception (a
    :class:`.cached_decision.CachedVerdict` builds it when first read)."""
    key = _try_key(ti)
    if key is None:
        return
    with _lock:
        _remembered[key] = (exception, verdict)
        _remembered.move_to_end(key)
        while len(_remembered) > MAX_REMEMBERED:
            _remembered.popitem(last=False)


def verdict_for_try(ti: Any, exception: object) -> Classification | None:
    """The verdict remembered for this try of *ti*, if it was taken on this very *exception*."""
    key = _try_key(ti)
    if key is None:
        return None
    with _lock:
        found = _remembered.get(key)
    if found is None or found[0] is not exception:
        return None
    verdict = found[1]
    return verdict if isinstance(verdict, Classification) else verdict.verdict


def classify_for_task(
    ti: Any,
    exception: BaseException,
    context: Mapping[str, Any] | None,
    fallback: Callable[[], Classifier],
    task: Any = None,
) -> Classification:
    """
    The verdict on *ti*'s failed try: the one its retry policy decided on, else a classification
    with the task's classifier (*task*, else ``ti.task``; else ``fallback()``) in the task's scope.
    """
    decided = verdict_for_try(ti, exception)
    if decided is not None:
        return decided
    classifier = task_classifier(task if task is not None else getattr(ti, "task", None)) or fallback()
    return classifier.classify(exception, context if context is not None else {"ti": ti})


def forget_all() -> None:
    """Drop every remembered verdict (tests)."""
    with _lock:
        _remembered.clear()
