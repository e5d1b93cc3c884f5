"""Incidents, top error patterns and error budgets, restricted to the DAGs a user may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_errorguard.manage.filters import window_start
from airflow_errorguard.storage import stats
from airflow_errorguard.storage.incidents import IncidentRow
from airflow_errorguard.ui import access
from airflow_errorguard.ui.hook import get_hook

_MAX_SCANS = 20


@dataclass(frozen=True)
class Overview:
    incidents: list[IncidentRow]
    patterns: list[stats.Pattern]
    budgets: list[stats.BudgetStatus]
    next_cursor: int | None
    scoped: bool


def incidents(
    user: Any, *, status: str | None, after: int, limit: int
) -> tuple[list[IncidentRow], int | None]:
    """Incidents (oldest first, keyset by id) on readable DAGs; DAG-less ones only for all-DAG readers."""
    scope = access.dag_scope(user, "GET")
    repo = get_hook().incidents
    found: list[IncidentRow] = []
    cursor = after
    for _ in range(_MAX_SCANS):
        batch = repo.list(status=status, after_id=cursor, limit=limit)
        for row in batch:
            visible = scope.dag_ids is None or (row.dag_id is not None and row.dag_id in scope.dag_ids)
            if visible:
                found.append(row)
        if len(batch) < limit:
            return found[:limit], None
        cursor = batch[-1].id
        if len(found) >= limit:
            return found[:limit], found[limit - 1].id
    return found[:limit], cursor


def overview(
    user: Any, *, dag_id: str | None, hours: float, budget: int, status: str | None, after: int, limit: int
) -> Overview:
    """Incidents, the top fingerprints and the error budget per DAG over the last *hours*."""
    hook = get_hook()
    scope = access.dag_scope(user, "GET")
    since = window_start(hook.database.clock(), hours)
    rows, cursor = incidents(user, status=status, after=after, limit=limit)
    if dag_id is not None and not scope.allows(dag_id):
        return Overview(rows, [], [], cursor, scoped=True)
    if scope.dag_ids is not None and dag_id is None:
        # Patterns and budgets aggregate over DAGs: a restricted user sees them one DAG at a time.
        return Overview(rows, [], [], cursor, scoped=True)
    patterns = stats.top_patterns(hook.database, since, dag_id=dag_id, limit=20)
    budgets = stats.error_budget(hook.database, since, budget=budget, dag_id=dag_id, limit=50)
    return Overview(rows, patterns, budgets, cursor, scoped=False)
