"""``@task.guarded``: the decorated function is ``process``, called once per record."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, cast

import attr
from airflow.sdk.bases.decorator import _TaskDecorator, get_unique_task_id

from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.operators.guarded import GuardedOperator

if TYPE_CHECKING:
    from airflow.sdk.bases.decorator import TaskDecorator


class _GuardedDecoratedOperator(GuardedOperator):
    """:class:`GuardedOperator` built by ``@task.guarded``; the call's ``records=`` is the source."""

    custom_operator_name: ClassVar[str] = "@task.guarded"

    def __init__(
        self,
        *,
        python_callable: Callable[[Any], Any],
        task_id: str,
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        multiple_outputs: bool = False,
        **kwargs: Any,
    ) -> None:
        if op_args:
            raise ErrorGuardConfigError(
                f"{task_id}: call a @task.guarded task with keywords, e.g. {task_id}(records=extract())"
            )
        options = dict(op_kwargs or {})
        if "records" not in options and "records" not in kwargs:
            raise ErrorGuardConfigError(f"{task_id}: a @task.guarded task needs records=...")
        if not getattr(self, "_BaseOperator__from_mapped", False):
            task_id = get_unique_task_id(task_id, kwargs.get("dag"), kwargs.get("task_group"))
        super().__init__(task_id=task_id, process=python_callable, **{**kwargs, **options})
        self.python_callable = python_callable


@attr.define(slots=False)
class _GuardedTaskDecorator(_TaskDecorator):
    """``records`` is what ``expand()``/``partial()`` map over, not the function's arguments."""

    @cached_property
    def _mappable_function_argument_names(self) -> set[str]:
        return {"records"}

    def _validate_arg_names(self, func: Any, kwargs: dict[str, Any]) -> None:
        unknown = set(kwargs) - {"records"}
        if unknown:
            raise TypeError(f"{func}() of a @task.guarded task takes records= only, got {sorted(unknown)}")


def guarded_task(python_callable: Callable[[Any], Any] | None = None, **kwargs: Any) -> TaskDecorator:
    """
    Wrap a per-record function into a :class:`GuardedOperator`::

        @task.guarded(batch_size=200, max_quarantine_ratio=0.05, sink=write_orders, retries=3)
        def clean(order):
            return normalise(order)

        clean(records=extract())

    Takes the operator's options (``sink``, ``record_key``, ``batch_size``, budgets,
    ``in_process_retry``, ``checkpoint``...) in the decorator or in the call.
    """
    multiple_outputs = kwargs.pop("multiple_outputs", False)

    def decorate(function: Callable[[Any], Any]) -> TaskDecorator:
        return cast(
            "TaskDecorator",
            _GuardedTaskDecorator(
                function=function,
                multiple_outputs=multiple_outputs,
                operator_class=_GuardedDecoratedOperator,
                kwargs=kwargs,
                decorator_name="task.guarded",
            ),
        )

    if python_callable is not None:
        return decorate(python_callable)
    return cast("TaskDecorator", decorate)
