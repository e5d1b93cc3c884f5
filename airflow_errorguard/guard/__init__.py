"""
Guarded record processing: classify each failure, retry transient ones in-process, quarantine
bad records, commit progress per batch, resume from the checkpoint, enforce an error budget.

The engine (:mod:`~airflow_errorguard.guard.engine`) imports nothing from Airflow; the operator,
the ``@task.guarded`` decorator and :class:`~airflow_errorguard.guard.facade.ErrorGuard` adapt it.
"""

from __future__ import annotations

from airflow_errorguard.guard.engine import GuardedRun
from airflow_errorguard.guard.options import GuardOptions
from airflow_errorguard.guard.store import GuardStore, MemoryGuardStore, Progress, SqlGuardStore

__all__ = ["GuardOptions", "GuardStore", "GuardedRun", "MemoryGuardStore", "Progress", "SqlGuardStore"]
