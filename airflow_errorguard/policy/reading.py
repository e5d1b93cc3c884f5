"""What the cluster policy reads from a task: its DAG's errorguard tags, its params, its callbacks."""

from __future__ import annotations

import sys
from typing import Any

#: DAG tags: opt a DAG out, or in (``cluster_policy = opt_in``).
TAG_OFF = "errorguard:off"
TAG_ON = "errorguard:on"
#: Task ``params`` keys: ``"off"`` opts the task out (``"on"`` opts it in); a circuit's name.
SWITCH_PARAM = "errorguard"
CIRCUIT_PARAM = "errorguard_circuit"
CALLBACKS = ("on_failure_callback", "on_retry_callback", "on_success_callback")


def violation() -> type[Exception]:
    from airflow.exceptions import AirflowClusterPolicyViolation

    return AirflowClusterPolicyViolation


def refuse(task: Any, problem: str) -> Exception:
    return violation()(f"errorguard cluster policy, task {task_name(task)}: {problem}")


def task_name(task: Any) -> str:
    return f"{getattr(task, 'dag_id', None)}.{getattr(task, 'task_id', None)}"


def errorguard_tags(task: Any) -> set[str]:
    dag = getattr(task, "dag", None) if getattr(task, "has_dag", lambda: True)() else None
    tags = {str(tag) for tag in (getattr(dag, "tags", None) or ()) if str(tag).startswith("errorguard:")}
    unknown = tags - {TAG_ON, TAG_OFF}
    if unknown or len(tags) > 1:
        raise refuse(task, f"DAG tags {sorted(tags)}: use one of {TAG_OFF!r} or {TAG_ON!r}")
    return tags


def errorguard_params(task: Any) -> dict[str, Any]:
    params = getattr(task, "params", None) or {}
    return {key: params.get(key) for key in (SWITCH_PARAM, CIRCUIT_PARAM) if key in params}


def task_switch(task: Any, params: dict[str, Any]) -> str | None:
    value = params.get(SWITCH_PARAM)
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str) and value.strip().lower() in ("on", "off"):
        return value.strip().lower()
    raise refuse(task, f'params["{SWITCH_PARAM}"] must be "off" or "on", got {value!r}')


def circuit_param(task: Any, params: dict[str, Any]) -> str | None:
    name = params.get(CIRCUIT_PARAM)
    if name is None:
        return None
    from airflow_errorguard.breaker.config import Circuit

    try:
        if not isinstance(name, str):
            raise TypeError(f"a circuit name must be text, got {name!r}")
        Circuit(name, consecutive_failures=1)  # validates the name
    except Exception as err:
        raise refuse(task, f'params["{CIRCUIT_PARAM}"]: {err}') from None
    return name


def is_ours(obj: Any) -> bool:
    return type(obj).__module__.startswith("airflow_errorguard.")


def named_circuit(task: Any) -> str | None:
    """The circuit the task's errorguard operator or retry policy already names."""
    for owner in (task, getattr(task, "retry_policy", None)):
        circuit = getattr(owner, "circuit", None) if is_ours(owner) else None
        if circuit is not None:
            return str(getattr(circuit, "name", circuit))
    return None


def has_callback(task: Any, classes: tuple[Any, ...]) -> bool:
    kinds = [cls for cls in classes if isinstance(cls, type)]
    for module, name in (cls for cls in classes if isinstance(cls, tuple)):
        loaded = sys.modules.get(module)  # not imported: no instance of it can exist
        if loaded is not None:
            kinds.append(getattr(loaded, name))
    for attribute in CALLBACKS:
        for callback in as_list(getattr(task, attribute, None)):
            target = getattr(callback, "__self__", callback)  # a bound method: alerts.on_failure
            if isinstance(target, tuple(kinds)):
                return True
    return False


def as_list(callbacks: Any) -> list[Any]:
    if not callbacks:
        return []
    if callable(callbacks):
        return [callbacks]
    return list(callbacks)
