"""
The task instance an Airflow context names (a leaf: no Airflow import).

Every module that reads ``dag_id``/``task_id``/``run_id``/``map_index``/``try_number`` from a task
context goes through :func:`task_ref`, so the rules (``ti`` or ``task_instance``, ``None`` map
index is ``-1``, unknown try is ``0``) live in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskRef:
    """What a context says about its task instance; ``None`` where it says nothing."""

    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int = -1
    try_number: int = 0
    max_tries: int | None = None
    ti: Any = None

    @property
    def known(self) -> bool:
        """Whether the context named a task instance."""
        return self.ti is not None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def ref_of_ti(ti: Any) -> TaskRef:
    """A :class:`TaskRef` of anything shaped like a task instance."""
    max_tries = getattr(ti, "max_tries", None)
    return TaskRef(
        dag_id=_str(getattr(ti, "dag_id", None)),
        task_id=_str(getattr(ti, "task_id", None)),
        run_id=_str(getattr(ti, "run_id", None)),
        map_index=_int(getattr(ti, "map_index", -1), -1),
        try_number=_int(getattr(ti, "try_number", 0) or 0, 0),
        max_tries=max_tries if isinstance(max_tries, int) else None,
        ti=ti,
    )


def task_ref(context: Mapping[str, Any] | None) -> TaskRef:
    """
    The task instance of *context* (an Airflow task context or a plain mapping with ``dag_id`` /
    ``task_id``); never raises.
    """
    if not context:
        return TaskRef()
    try:
        ti = context.get("ti") or context.get("task_instance")
    except Exception:
        return TaskRef()
    if ti is None:
        return TaskRef(dag_id=_str(context.get("dag_id")), task_id=_str(context.get("task_id")))
    return ref_of_ti(ti)


__all__ = ["TaskRef", "ref_of_ti", "task_ref"]
