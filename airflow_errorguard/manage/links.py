"""Paths of Airflow UI pages (task instance, its log, a run, a DAG), relative to Airflow's base path."""

from __future__ import annotations

from urllib.parse import quote


def _q(value: str) -> str:
    return quote(value, safe="")


def dag_path(dag_id: str) -> str:
    """The DAG's page."""
    return f"/dags/{_q(dag_id)}"


def run_path(dag_id: str, run_id: str) -> str:
    """The DAG run's page."""
    return f"{dag_path(dag_id)}/runs/{_q(run_id)}"


def ti_path(dag_id: str, run_id: str, task_id: str, map_index: int | None = -1) -> str:
    """The task instance's page (its first tab is the log)."""
    path = f"{run_path(dag_id, run_id)}/tasks/{_q(task_id)}"
    return path + (f"/mapped/{map_index}" if map_index is not None and map_index >= 0 else "")


def log_path(
    dag_id: str, run_id: str, task_id: str, map_index: int | None = -1, try_number: int | None = None
) -> str:
    """The task instance's log, of one try when *try_number* is given."""
    path = ti_path(dag_id, run_id, task_id, map_index)
    return path + (f"?try_number={int(try_number)}" if try_number else "")


def replay_actor_path(actor: str | None) -> str | None:
    """
    The task instance behind a replay actor (``replay:<dag>/<task>/<run>``, what
    :class:`~airflow_errorguard.operators.replay.QuarantineReplayOperator` writes), else ``None``.
    """
    if not actor or not actor.startswith("replay:"):
        return None
    parts = actor[len("replay:") :].split("/", 2)
    if len(parts) != 3 or not all(parts):
        return None
    dag_id, task_id, run_id = parts
    return ti_path(dag_id, run_id, task_id)


def claim_path(holder: str | None) -> str | None:
    """The task instance holding a replay claim (``<dag>/<task>/<run>/<map_index>``), else ``None``."""
    if not holder:
        return None
    dag_id, _, rest = holder.partition("/")
    task_id, _, rest = rest.partition("/")
    run_id, _, map_index = rest.rpartition("/")
    if not (dag_id and task_id and run_id):
        return None
    try:
        index = int(map_index)
    except ValueError:
        return None
    return ti_path(dag_id, run_id, task_id, index)
