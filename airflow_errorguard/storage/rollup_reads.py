"""
Exact counts over a time window from the hourly rollups plus the raw rows.

A window ``[since, until)`` is split (:func:`split`): its whole finished hours are read from the
rollup (filled first when it does not hold them yet, :func:`.rollup.ensure_filled`),
and what is left (the partial first hour, the live hour and the grace after it, anything after
*until*'s hour) from the raw rows. The two parts are combined in one ``UNION ALL`` and grouped by
the database, so orderings, ties and ``max`` of strings are the same as one query over the raw
rows would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    and_,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)

from airflow_errorguard.storage import rollup
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.tables.hourly_count import hourly_count_table as h
from airflow_errorguard.storage.tables.hourly_count import hourly_fingerprint_table as hf


@dataclass(frozen=True)
class Split:
    """The whole hours ``[rolled_from, rolled_until)`` the rollup serves (none when equal)."""

    rolled_from: datetime
    rolled_until: datetime

    @property
    def empty(self) -> bool:
        return self.rolled_from >= self.rolled_until

    def raw(self, table: Table, since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
        """The raw rows of ``[since, until)`` (``None``: unbounded) the rollup does not count."""
        created = table.c.created_at
        lower = [created >= since] if since is not None else []
        upper = [created < until] if until is not None else []
        if self.empty:
            return and_(true(), *lower, *upper)
        return or_(and_(*lower, created < self.rolled_from), and_(created >= self.rolled_until, *upper))

    def hours(self, table: Table) -> list[ColumnElement[bool]]:
        """The rollup rows of the split's hours."""
        if self.empty:
            return [false()]
        start, end = rollup.hour_number(self.rolled_from), rollup.hour_number(self.rolled_until)
        return [table.c.hour >= start, table.c.hour < end]


def split(
    tx: Transactional, source: rollup.Source, since: datetime | None, until: datetime | None = None
) -> Split:
    """
    The whole finished hours of ``[since, until)`` (``since=None``: from the oldest raw row), the
    rollup filled over them first if it does not hold them all.
    """
    horizon = rollup.horizon(tx.clock())
    end = horizon if until is None else min(rollup.floor_hour(until), horizon)
    if since is None:
        created = rollup.SOURCES[source].c.created_at
        with tx.transaction(f"reading the oldest {source} row", write=False) as conn:
            oldest = conn.execute(select(func.min(created))).scalar()
        start = end if oldest is None else rollup.floor_hour(rollup.aware(oldest))
    else:
        start = rollup.ceil_hour(since)
    if end <= start:
        return Split(start, start)
    with tx.transaction("reading the hourly rollup's extent", write=False) as conn:
        held_from, held_until = rollup.filled(conn, source)
    if held_from is None or held_until is None or held_from > start or held_until < end:
        with tx.transaction(f"filling the hourly rollup of {source} rows") as conn:
            rollup.ensure_filled(conn, source, start, end)
    return Split(start, end)


PatternRow = tuple[str, int, datetime, datetime, str, str | None, int]


def pattern_rows(
    tx: Transactional, since: datetime, until: datetime | None, *, dag_id: str | None, limit: int
) -> list[PatternRow]:
    """
    The most frequent fingerprints of error events in the window: fingerprint, count, first and
    last seen, largest category and exception type, number of DAGs; most frequent first.
    """
    e = rollup.SOURCES["event"]
    parts = split(tx, "event", since, until)
    # Each part grouped per (fingerprint, DAG) first (hash aggregates), then combined.
    raw = (
        select(
            e.c.fingerprint.label("fp"),
            e.c.dag_id.label("dag_id"),
            func.count().label("n"),
            func.min(e.c.created_at).label("first_at"),
            func.max(e.c.created_at).label("last_at"),
            func.max(e.c.error_category).label("category"),
            func.max(e.c.exception_type).label("error_type"),
        )
        .where(parts.raw(e, since, until), e.c.fingerprint.is_not(None), *_dag(e, dag_id))
        .group_by(e.c.fingerprint, e.c.dag_id)
    )
    rolled = (
        select(
            hf.c.fingerprint,
            hf.c.dag_id,
            func.sum(hf.c["count"]),
            func.min(hf.c.first_at),
            func.max(hf.c.last_at),
            func.max(hf.c.category),
            func.max(hf.c.error_type),
        )
        .where(hf.c.source == "event", *parts.hours(hf), *_dag(hf, dag_id))
        .group_by(hf.c.fingerprint, hf.c.dag_id)
    )
    u = union_all(raw, rolled).subquery()
    n = func.sum(u.c.n).label("total")
    stmt = (
        select(
            u.c.fp,
            n,
            func.min(u.c.first_at),
            func.max(u.c.last_at),
            func.max(u.c.category),
            func.max(u.c.error_type),
            func.count(func.distinct(u.c.dag_id)),
        )
        .group_by(u.c.fp)
        .order_by(n.desc(), u.c.fp)
        .limit(limit)
    )
    with tx.transaction("reading top error patterns", write=False) as conn:
        rows = conn.execute(stmt).all()
    return [
        (str(fp), int(count), rollup.aware(first), rollup.aware(last), str(cat), etype, int(dags))
        for fp, count, first, last, cat, etype, dags in rows
    ]


def dag_counts(
    tx: Transactional, since: datetime, until: datetime | None, *, dag_id: str | None, limit: int
) -> dict[str, int]:
    """Error events per DAG in the window, the most failing first (ties by DAG id)."""
    e = rollup.SOURCES["event"]
    parts = split(tx, "event", since, until)
    raw = select(e.c.dag_id.label("dag_id"), cast(literal(1), BigInteger).label("n")).where(
        parts.raw(e, since, until), *_dag(e, dag_id)
    )
    rolled = select(h.c.dag_id, h.c["count"]).where(h.c.source == "event", *parts.hours(h), *_dag(h, dag_id))
    u = union_all(raw, rolled).subquery()
    n = func.sum(u.c.n).label("total")
    stmt = select(u.c.dag_id, n).group_by(u.c.dag_id).order_by(n.desc(), u.c.dag_id).limit(limit)
    with tx.transaction("counting error events per dag_id", write=False) as conn:
        return {str(dag): int(count) for dag, count in conn.execute(stmt).all()}


def _dag(table: Table, dag_id: str | None) -> list[ColumnElement[bool]]:
    return [table.c.dag_id == dag_id] if dag_id is not None else []


def fingerprint_totals(
    tx: Transactional, source: rollup.Source, fingerprints: list[str], clauses: Any
) -> dict[str, int]:
    """
    All rows of *source* per fingerprint among *fingerprints* (any time), on the rows *clauses*
    (a function of the table: its scope conditions) selects.
    """
    if not fingerprints:
        return {}
    table = rollup.SOURCES[source]
    parts = split(tx, source, None)
    # The raw rest is small (the live hours): grouped per fingerprint without the IN list, so the
    # database reads it by time rather than every row of the fingerprints.
    raw = (
        select(table.c.fingerprint, func.count())
        .where(parts.raw(table, None, None), table.c.fingerprint.is_not(None), *clauses(table))
        .group_by(table.c.fingerprint)
    )
    rolled = (
        select(hf.c.fingerprint, func.sum(hf.c["count"]))
        .where(hf.c.source == source, *parts.hours(hf), hf.c.fingerprint.in_(fingerprints), *clauses(hf))
        .group_by(hf.c.fingerprint)
    )
    wanted = set(fingerprints)
    found: dict[str, int] = {}
    with tx.transaction(f"counting {source} rows per fingerprint", write=False) as conn:
        for stmt in (raw, rolled):
            for fp, count in conn.execute(stmt).all():
                if fp in wanted:
                    found[str(fp)] = found.get(str(fp), 0) + int(count)
    return found
