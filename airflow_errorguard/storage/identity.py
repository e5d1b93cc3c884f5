"""The task instance a stored row belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_errorguard.storage.tables.column_types import ID_LEN
from airflow_errorguard.task_context import ref_of_ti, task_ref


@dataclass(frozen=True)
class TaskIdentity:
    """
    Identity of one task instance try.

    :param dag_id: The DAG id.
    :param task_id: The task id.
    :param run_id: The DAG run id.
    :param map_index: Index of a mapped task instance, ``-1`` when not mapped.
    :param try_number: The try, from 1 (0 when not known).
    """

    dag_id: str
    task_id: str
    run_id: str
    map_index: int = -1
    try_number: int = 0

    def __post_init__(self) -> None:
        for name in ("dag_id", "task_id", "run_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > ID_LEN:
                raise ValueError(
                    f"TaskIdentity.{name} must be a non-empty string of at most {ID_LEN} characters, "
                    f"got {value!r}"
                )
        if self.map_index < -1 or self.try_number < 0:
            raise ValueError(
                "TaskIdentity: map_index must be >= -1 and try_number >= 0, "
                f"got {self.map_index} and {self.try_number}"
            )

    @classmethod
    def from_ti(cls, ti: Any) -> TaskIdentity:
        """From anything shaped like a task instance (``dag_id``, ``task_id``, ``run_id``...)."""
        ref = ref_of_ti(ti)
        return cls(
            dag_id=ref.dag_id,  # type: ignore[arg-type]  # validated in __post_init__
            task_id=ref.task_id,  # type: ignore[arg-type]
            run_id=ref.run_id,  # type: ignore[arg-type]
            map_index=ref.map_index,
            try_number=ref.try_number,
        )

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> TaskIdentity:
        """From an Airflow task context (its ``ti``)."""
        ref = task_ref(context)
        if not ref.known:
            raise ValueError("TaskIdentity.from_context: the context names no task instance (no 'ti')")
        return cls.from_ti(ref.ti)

    def as_columns(self) -> dict[str, Any]:
        """The identity columns shared by errorguard's tables."""
        return {
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "run_id": self.run_id,
            "map_index": self.map_index,
            "try_number": self.try_number,
        }
