"""The task instance a stored row belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_errorguard.storage.tables.column_types import ID_LEN


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
        map_index = getattr(ti, "map_index", -1)
        return cls(
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            run_id=ti.run_id,
            map_index=-1 if map_index is None else int(map_index),
            try_number=int(getattr(ti, "try_number", 0) or 0),
        )

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> TaskIdentity:
        """From an Airflow task context (its ``ti``)."""
        return cls.from_ti(context["ti"])

    def as_columns(self) -> dict[str, Any]:
        """The identity columns shared by errorguard's tables."""
        return {
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "run_id": self.run_id,
            "map_index": self.map_index,
            "try_number": self.try_number,
        }
