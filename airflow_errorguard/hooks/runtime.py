"""Where errorguard runs: a task process (metadata DB blocked) or a server/CLI process."""

from __future__ import annotations

import os
import sys

BLOCKED_SCHEME = "airflow-db-not-allowed"


def orm_blocked() -> bool:
    """
    Whether Airflow's metadata database is off limits in this process.

    True inside a task (the supervisor's ``block_orm_access()`` replaces
    ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` with ``airflow-db-not-allowed:///``), in triggers
    (``_AIRFLOW_PROCESS_CONTEXT=client``) and wherever task-SDK code runs with a supervisor channel
    (``task_runner.SUPERVISOR_COMMS``: real tasks, ``dag.test()``, DAG parsing), so a DAG that
    works under ``dag.test()`` also works under a real scheduler.
    """
    for var in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__SQL_ALCHEMY_CONN"):
        if os.environ.get(var, "").startswith(BLOCKED_SCHEME):
            return True
    if os.environ.get("_AIRFLOW_PROCESS_CONTEXT") == "client":
        return True
    settings = sys.modules.get("airflow.settings")
    if str(getattr(settings, "SQL_ALCHEMY_CONN", "") or "").startswith(BLOCKED_SCHEME):
        return True
    task_runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


def metadata_db_url() -> str | None:
    """Airflow's metadata database URL in a server/CLI process; ``None`` where it is blocked."""
    if orm_blocked():
        return None
    from airflow import settings

    url = str(getattr(settings, "SQL_ALCHEMY_CONN", "") or "")
    return url if url and not url.startswith(BLOCKED_SCHEME) else None
