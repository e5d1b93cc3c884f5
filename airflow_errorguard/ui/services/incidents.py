"""Incidents, top error patterns and error budgets, restricted to the DAGs a user may read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import HTTPException
from fastapi import status as http
from markupsafe import Markup

from airflow_errorguard.manage import trends
from airflow_errorguard.manage.filters import FilterError, window_start
from airflow_errorguard.storage import stats
from airflow_errorguard.storage.incidents import IncidentRow
from airflow_errorguard.ui import access, charts
from airflow_errorguard.ui.hook import get_hook

_MAX_SCANS = 20


@dataclass(frozen=True)
class Overview:
    incidents: list[IncidentRow]
    patterns: list[stats.Pattern]
    budgets: list[stats.BudgetStatus]
    next_cursor: int | None
    scoped: bool
    #: Per fingerprint: sparkline, quarantine rows, newest failure.
    sparklines: dict[str, Markup] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    last_failures: dict[str, trends.LastFailure] = field(default_factory=dict)


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
    fps = [p.fingerprint for p in patterns]
    buckets = trends.Buckets.covering(since, hook.database.clock(), count=24)
    lines = trends.fingerprint_sparklines(hook.database, fps, buckets, dag_id=dag_id)
    return Overview(
        rows,
        patterns,
        budgets,
        cursor,
        scoped=False,
        sparklines={fp: charts.sparkline(c, f"failures of {fp[:12]}") for fp, c in lines.items()},
        quarantined=trends.quarantined_per_fingerprint(hook.database, fps, dag_ids=scope.filter),
        last_failures=trends.last_failures(hook.database, fps, dag_id=dag_id),
    )


def parse_trend(params: Any) -> tuple[str, trends.Dimension]:
    """``range`` (24h, 7d, 30d; default 24h) and ``by`` (dag, category; default category)."""
    name = params.get("range") or "24h"
    by = params.get("by") or "category"
    if name not in trends.RANGES:
        raise FilterError(f"range must be one of {', '.join(trends.RANGES)}")
    if by not in ("dag", "category"):
        raise FilterError("by must be dag or category")
    return name, "dag" if by == "dag" else "category"


@dataclass(frozen=True)
class Trends:
    quarantine: Markup
    failures: Markup
    quarantine_series: list[trends.Series]
    failure_series: list[trends.Series]


def trend_pictures(user: Any, *, range_name: str, by: trends.Dimension, dag_id: str | None) -> Trends:
    """Quarantined records and task failures over the range, per DAG or category, on readable DAGs."""
    hook = get_hook()
    scope = access.dag_scope(user, "GET")
    buckets = trends.Buckets.of_range(hook.database.clock(), range_name)
    kw: dict[str, Any] = {"by": by, "dag_ids": scope.filter, "dag_id": dag_id}
    quarantined = trends.over_time(hook.database, "quarantine", buckets, **kw)
    failures = trends.over_time(hook.database, "failures", buckets, **kw)
    return Trends(
        quarantine=charts.stacked_bars(quarantined, buckets, f"Quarantined records per {by}, {range_name}"),
        failures=charts.stacked_bars(failures, buckets, f"Task failures per {by}, {range_name}"),
        quarantine_series=quarantined,
        failure_series=failures,
    )


@dataclass(frozen=True)
class IncidentPage:
    incident: IncidentRow
    timeline: Markup
    tasks: list[tuple[str, str, bool]]


def incident(user: Any, incident_id: int) -> IncidentPage:
    """One incident with its timeline; 404 / 403 like the list (DAG-less ones for all-DAG readers)."""
    hook = get_hook()
    found = hook.incidents.list(after_id=incident_id - 1, limit=1)
    if not found or found[0].id != incident_id:
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"No incident {incident_id}")
    row = found[0]
    scope = access.dag_scope(user, "GET")
    if not (scope.dag_ids is None or (row.dag_id is not None and scope.allows(row.dag_id))):
        raise HTTPException(http.HTTP_403_FORBIDDEN, f"You may not read incident {incident_id}")
    now = hook.database.clock()
    end = row.resolved_at or now
    pad = max((end - row.first_seen_at) / 20, timedelta(minutes=5))
    buckets = trends.Buckets.spanning(row.first_seen_at - pad, end + pad, count=40)
    failures = (
        trends.incident_failures(hook.database, row.fingerprint, row.dag_id, buckets)
        if row.fingerprint
        else [0] * len(buckets)
    )
    markers: list[tuple[datetime, str, str]] = [(row.first_seen_at, "first", "first seen")]
    if row.last_notified_at is not None:
        markers.append((row.last_notified_at, "notified", f"alert {row.notify_count} sent"))
    if row.resolved_at is not None:
        markers.append((row.resolved_at, "resolved", "resolved"))
    else:
        markers.append((row.last_seen_at, "last", "last seen"))
    label = (
        f"Incident {row.id}: {row.occurrences} occurrence(s), {row.notify_count} alert(s) sent, "
        f"{row.suppressed_count} suppressed"
    )
    return IncidentPage(
        incident=row,
        timeline=charts.incident_timeline(buckets, failures, markers, label),
        tasks=[t for t in hook.incidents.tasks(row.incident_key) if scope.allows(t[0])],
    )
