"""
The tasks an incident was seen failing on (``errorguard_incident_task``), inside the incident
repository's transactions.

An incident resolves when every task it was seen failing on has succeeded since its last failure
there: a failure marks its ``(dag_id, task_id)`` failing, a success of that task marks it fixed,
and the success that leaves no task failing resolves the incident.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.engine import Connection

from airflow_errorguard.storage.tables.incident_task import incident_task_table as it
from airflow_errorguard.storage.upsert import insert_ignoring_duplicates


def seen_failing(  # noqa: PLR0917 - one call site, in IncidentRepository.observe
    conn: Connection,
    backend: str,
    incident_id: int,
    dag_id: str | None,
    task_id: str | None,
    now: datetime,
    *,
    afresh: bool,
) -> None:
    """The incident fails on *dag_id*.*task_id* (a reopened incident forgets its earlier tasks)."""
    if afresh:
        conn.execute(delete(it).where(it.c.incident_id == incident_id))
    if dag_id is None or task_id is None:
        return
    where = (it.c.incident_id == incident_id, it.c.dag_id == dag_id, it.c.task_id == task_id)
    seen = conn.execute(update(it).where(*where).values(failing=True, last_failed_at=now, fixed_at=None))
    if seen.rowcount == 0:
        conn.execute(
            insert_ignoring_duplicates(it, backend).values(
                incident_id=incident_id, dag_id=dag_id, task_id=task_id, failing=True, last_failed_at=now
            )
        )


def fix(conn: Connection, incident_id: int, dag_id: str, task_id: str, now: datetime) -> int:
    """*dag_id*.*task_id* succeeded; returns how many of the incident's tasks still fail."""
    conn.execute(
        update(it)
        .where(it.c.incident_id == incident_id, it.c.dag_id == dag_id, it.c.task_id == task_id)
        .values(failing=False, fixed_at=now)
    )
    still = conn.execute(
        select(func.count()).where(it.c.incident_id == incident_id, it.c.failing.is_(True))
    ).scalar_one()
    return int(still)


def failing_in(dag_id: str, task_id: str) -> Select[tuple[int]]:
    """Ids of the incidents *dag_id*.*task_id* is failing in (a subquery)."""
    return select(it.c.incident_id).where(
        it.c.dag_id == dag_id, it.c.task_id == task_id, it.c.failing.is_(True)
    )


def of_incident(conn: Connection, incident_id: int) -> list[tuple[str, str, bool]]:
    """``(dag_id, task_id, failing)`` of the incident's tasks, in order."""
    stmt = (
        select(it.c.dag_id, it.c.task_id, it.c.failing)
        .where(it.c.incident_id == incident_id)
        .order_by(it.c.dag_id, it.c.task_id)
    )
    return [(row.dag_id, row.task_id, bool(row.failing)) for row in conn.execute(stmt)]
