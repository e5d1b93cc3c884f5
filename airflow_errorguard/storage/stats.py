"""
Error statistics over ``errorguard_error_event`` (and quarantine): what the UI and alerts show.

Every function takes a :class:`~airflow_errorguard.storage.database.Transactional` (a ``Database``
or ``hook.database``) and a time window ``[since, until)``, filters on indexed columns
(``created_at``, ``fingerprint``, ``dag_id``) and returns at most ``limit`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from airflow_errorguard.storage import rollup_reads
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.tables.error_event import error_event_table as e
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

#: Largest ``limit`` any statistic accepts.
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Pattern:
    """One fingerprint in a window: how often, where first/last, and what it looks like."""

    fingerprint: str
    count: int
    first_seen: datetime
    last_seen: datetime
    error_category: str
    exception_type: str | None
    dag_count: int


@dataclass(frozen=True)
class BudgetStatus:
    """Failures of one DAG in the window against its budget."""

    dag_id: str
    failures: int
    budget: int

    @property
    def remaining(self) -> int:
        return max(self.budget - self.failures, 0)

    @property
    def breached(self) -> bool:
        return self.failures > self.budget


def _bounded(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def _window(since: datetime, until: datetime | None, dag_id: str | None = None) -> list[ColumnElement[bool]]:
    clauses = [e.c.created_at >= since]
    if until is not None:
        clauses.append(e.c.created_at < until)
    if dag_id is not None:
        clauses.append(e.c.dag_id == dag_id)
    return clauses


def _grouped(
    tx: Transactional, column: str, clauses: list[ColumnElement[bool]], limit: int
) -> dict[str, int]:
    n = func.count().label("n")
    stmt = (
        select(e.c[column], n)
        .where(*clauses)
        .group_by(e.c[column])
        .order_by(n.desc(), e.c[column])
        .limit(_bounded(limit))
    )
    with tx.transaction(f"counting error events per {column}", write=False) as conn:
        return {str(value): int(count) for value, count in conn.execute(stmt).all()}


def counts_by_category(
    tx: Transactional, since: datetime, until: datetime | None = None, *, dag_id: str | None = None
) -> dict[str, int]:
    """Error events per category in ``[since, until)`` (of one DAG when given)."""
    return _grouped(tx, "error_category", _window(since, until, dag_id), 50)


def counts_by_dag(
    tx: Transactional, since: datetime, until: datetime | None = None, *, limit: int = 100
) -> dict[str, int]:
    """Error events per DAG in ``[since, until)``, the most failing first."""
    return _grouped(tx, "dag_id", _window(since, until), limit)


def counts_by_fingerprint(
    tx: Transactional,
    since: datetime,
    until: datetime | None = None,
    *,
    dag_id: str | None = None,
    limit: int = 100,
) -> dict[str, int]:
    """Error events per fingerprint in ``[since, until)``, the most frequent first."""
    clauses = [*_window(since, until, dag_id), e.c.fingerprint.is_not(None)]
    return _grouped(tx, "fingerprint", clauses, limit)


def top_patterns(
    tx: Transactional,
    since: datetime,
    until: datetime | None = None,
    *,
    dag_id: str | None = None,
    limit: int = 20,
) -> list[Pattern]:
    """
    The most frequent fingerprints in the window, with first/last seen and their category; the
    whole finished hours come from the hourly fingerprint rollup (:mod:`.rollup_reads`).
    """
    rows = rollup_reads.pattern_rows(tx, since, until, dag_id=dag_id, limit=_bounded(limit))
    return [
        Pattern(
            fingerprint=fp,
            count=count,
            first_seen=first,
            last_seen=last,
            error_category=category,
            exception_type=etype,
            dag_count=dags,
        )
        for fp, count, first, last, category, etype, dags in rows
    ]


def occurrences(tx: Transactional, fingerprint: str, since: datetime, until: datetime | None = None) -> int:
    """How many error events with *fingerprint* happened in ``[since, until)``."""
    stmt = select(func.count()).select_from(e).where(e.c.fingerprint == fingerprint, *_window(since, until))
    with tx.transaction("counting fingerprint occurrences", write=False) as conn:
        return int(conn.execute(stmt).scalar_one())


def quarantined_in_run(tx: Transactional, dag_id: str, run_id: str) -> int:
    """Records quarantined by the DAG run (any status), or open from an earlier run and met again by it."""
    stmt = (
        select(func.count())
        .select_from(q)
        .where(q.c.dag_id == dag_id, (q.c.run_id == run_id) | (q.c.last_seen_run_id == run_id))
    )
    with tx.transaction("counting quarantine rows of a run", write=False) as conn:
        return int(conn.execute(stmt).scalar_one())


def error_budget(
    tx: Transactional,
    since: datetime,
    until: datetime | None = None,
    *,
    budget: int,
    dag_id: str | None = None,
    limit: int = 100,
) -> list[BudgetStatus]:
    """
    Failures per DAG in the window against *budget* (allowed failures per DAG per window), the
    DAGs closest to (or furthest over) their budget first.
    """
    if budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget}")
    counts = rollup_reads.dag_counts(tx, since, until, dag_id=dag_id, limit=_bounded(limit))
    return [BudgetStatus(dag, count, budget) for dag, count in counts.items()]
