"""
Counts over time for the pictures: quarantined records and task failures per DAG or category,
fingerprint sparklines and an incident's failures, each in equal time buckets.

Quarantined records and failures per DAG/category, and fingerprint sparklines and quarantine rows
per fingerprint, read the finished hours from the hourly rollups
(:mod:`airflow_errorguard.storage.rollup`, filled on first read) and only the rest from the raw
rows. Everything else is one grouped ``SELECT`` over the raw rows: the bucket is a ``CASE`` over
bound bucket edges (portable across SQLite, PostgreSQL and MySQL, no date functions), filtered on
the indexed ``created_at`` (``fingerprint, created_at`` for sparklines) and on the readable DAGs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Table, case, func, literal, select, union_all

from airflow_errorguard.storage import rollup, rollup_memo, rollup_reads
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.tables.error_event import error_event_table as e
from airflow_errorguard.storage.tables.hourly_count import hourly_count_table as h
from airflow_errorguard.storage.tables.hourly_count import hourly_fingerprint_table as hf
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

Dimension = Literal["dag", "category"]
#: The windows the pictures offer: label -> (hours, bucket hours).
RANGES: dict[str, tuple[int, int]] = {"24h": (24, 1), "7d": (168, 6), "30d": (720, 24)}
#: Series drawn one by one; the rest are summed into "other".
MAX_SERIES = 8
OTHER = "other"


@dataclass(frozen=True)
class Buckets:
    """``len(edges) - 1`` equal buckets; bucket *i* is ``[edges[i], edges[i + 1])``."""

    edges: list[datetime]

    @classmethod
    def ending(cls, now: datetime, hours: float, bucket_hours: float) -> Buckets:
        """Buckets covering the last *hours*, the last one ending at the next whole bucket after *now*."""
        step = timedelta(hours=bucket_hours)
        epoch = datetime(2000, 1, 1, tzinfo=now.tzinfo)
        end = epoch + step * ((now - epoch) // step + 1)
        count = max(1, round(hours / bucket_hours))
        return cls([end - step * (count - i) for i in range(count + 1)])

    @classmethod
    def of_range(cls, now: datetime, name: str) -> Buckets:
        hours, bucket_hours = RANGES[name]
        return cls.ending(now, hours, bucket_hours)

    @classmethod
    def spanning(cls, start: datetime, end: datetime, count: int = 40) -> Buckets:
        """*count* buckets from *start* to *end* (at least a minute each)."""
        step = max((end - start) / count, timedelta(minutes=1))
        return cls([start + step * i for i in range(count + 1)])

    @classmethod
    def covering(cls, start: datetime, end: datetime, count: int = 24) -> Buckets:
        """
        About *count* buckets from *start*'s hour (or a little before) to *end*'s next hour:
        whole UTC hours (so the rollup serves the finished ones) when the span is at least *count*
        hours, else :meth:`spanning`.
        """
        if end - start < rollup.HOUR * count:
            return cls.spanning(start, end, count)
        last = rollup.ceil_hour(end)
        hours = (last - rollup.floor_hour(start)) // rollup.HOUR
        step = max(1, round(hours / count))
        n = -(-hours // step)
        return cls([last - rollup.HOUR * step * (n - i) for i in range(n + 1)])

    @property
    def start(self) -> datetime:
        return self.edges[0]

    @property
    def end(self) -> datetime:
        return self.edges[-1]

    def __len__(self) -> int:
        return len(self.edges) - 1

    @property
    def hourly(self) -> bool:
        """Every edge a whole UTC hour: each hour of the rollup falls in exactly one bucket."""
        return all(edge == rollup.floor_hour(edge) for edge in self.edges)

    def rollup_index(self, table: Table = h) -> ColumnElement[int]:
        """The bucket number of a rollup row (integer arithmetic on its hour number)."""
        hours = (self.edges[1] - self.edges[0]) // rollup.HOUR
        return (table.c.hour - rollup.hour_number(self.start)) // hours

    def index(self, table: Table) -> ColumnElement[int]:
        """The bucket number of a row's ``created_at`` (rows are already limited to the range)."""
        created = table.c.created_at
        whens = [(created < edge, literal(i)) for i, edge in enumerate(self.edges[1:-1])]
        if not whens:
            return literal(0)
        return case(*whens, else_=literal(len(self) - 1))


@dataclass(frozen=True)
class Series:
    """One line/stack of a picture: a name and a count per bucket."""

    name: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def _grouped(
    tx: Transactional,
    table: Table,
    dimension: ColumnElement[str] | None,
    buckets: Buckets,
    *,
    clauses: list[ColumnElement[bool]],
    what: str,
    since: datetime | None = None,
) -> dict[str, list[int]]:
    """Raw rows per key and bucket (from *since* when given, else the whole range)."""
    bucket = buckets.index(table).label("bucket")
    # No constant key without a dimension: PostgreSQL refuses a constant in GROUP BY.
    keys = [dimension.label("key")] if dimension is not None else []
    start = buckets.start if since is None else since
    stmt = (
        select(*keys, bucket, func.count())
        .where(table.c.created_at >= start, table.c.created_at < buckets.end, *clauses)
        .group_by(*keys, bucket)
    )
    found: dict[str, list[int]] = {}
    with tx.transaction(what, write=False) as conn:
        for row in conn.execute(stmt).all():
            name = str(row[0]) if keys else "all"
            index, count = row[-2], row[-1]
            found.setdefault(name, [0] * len(buckets))[int(index)] += int(count)
    return found


def _top(found: dict[str, list[int]], limit: int = MAX_SERIES) -> list[Series]:
    ranked = sorted(found.items(), key=lambda item: (-sum(item[1]), item[0]))
    series = [Series(name, counts) for name, counts in ranked[:limit]]
    rest = ranked[limit:]
    if rest:
        series.append(Series(OTHER, [sum(col) for col in zip(*(c for _, c in rest), strict=True)]))
    return series


def _scope(table: Table, dag_ids: Collection[str] | None, dag_id: str | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if dag_ids is not None:
        clauses.append(table.c.dag_id.in_(sorted(dag_ids)) if dag_ids else literal(False))
    if dag_id is not None:
        clauses.append(table.c.dag_id == dag_id)
    return clauses


def over_time(
    tx: Transactional,
    source: Literal["quarantine", "failures"],
    buckets: Buckets,
    *,
    by: Dimension,
    dag_ids: Collection[str] | None,
    dag_id: str | None = None,
) -> list[Series]:
    """
    Quarantined records (rows created, any status) or task failures (error events) per bucket,
    one series per DAG or category (the :data:`MAX_SERIES` largest, the rest as ``other``), only
    on *dag_ids* (``None``: every DAG).
    """
    table = q if source == "quarantine" else e
    dimension = table.c.dag_id if by == "dag" else table.c.error_category
    clauses = _scope(table, dag_ids, dag_id)
    if not buckets.hourly:
        return _top(_grouped(tx, table, dimension, buckets, clauses=clauses, what=f"charting {source}"))
    kind: rollup.Source = "quarantine" if source == "quarantine" else "event"
    split = _rolled_up_until(tx, kind, buckets)
    found = _grouped(tx, table, dimension, buckets, clauses=clauses, what=f"charting {source}", since=split)
    if split > buckets.start:
        key = h.c.dag_id if by == "dag" else h.c.category
        bucket = buckets.rollup_index()
        hours = (h.c.hour >= rollup.hour_number(buckets.start), h.c.hour < rollup.hour_number(split))
        stmt = (
            select(key, bucket, func.sum(h.c.count))
            .where(h.c.source == kind, *hours, *_scope(h, dag_ids, dag_id))
            .group_by(key, bucket)
        )
        # The finished hours' sums are the same until a recount: kept per generation.
        memo_key = (
            "over_time",
            by,
            None if dag_ids is None else tuple(sorted(dag_ids)),
            dag_id,
            tuple(rollup.hour_number(edge) for edge in (buckets.start, buckets.edges[1], split)),
            len(buckets),
        )
        with tx.transaction(f"charting {source} per hour", write=False) as conn:
            rows = rollup_memo.remembered(
                conn, kind, memo_key, lambda: tuple(tuple(r) for r in conn.execute(stmt).all())
            )
        for name, index, count in rows:
            found.setdefault(str(name), [0] * len(buckets))[int(index)] += int(count)
    return _top(found)


def _rolled_up_until(tx: Transactional, source: rollup.Source, buckets: Buckets) -> datetime:
    """Fill the rollup over the range's finished hours if needed; where reading it stops."""
    until = min(buckets.end, rollup.horizon(tx.clock()))
    if until <= buckets.start:
        return buckets.start
    with tx.transaction("reading the hourly rollup's extent", write=False) as conn:
        held_from, held_until = rollup.filled(conn, source)
    if held_from is None or held_until is None or held_from > buckets.start or held_until < until:
        with tx.transaction(f"filling the hourly rollup of {source} rows") as conn:
            rollup.ensure_filled(conn, source, buckets.start, until)
    return until


def fingerprint_sparklines(
    tx: Transactional, fingerprints: Sequence[str], buckets: Buckets, *, dag_id: str | None = None
) -> dict[str, list[int]]:
    """
    Error events per bucket of each fingerprint: the finished hours from the fingerprint rollup
    when the buckets are whole hours, the rest from the raw rows (``fingerprint, created_at`` index).
    """
    if not fingerprints:
        return {}
    clauses: list[ColumnElement[bool]] = [e.c.fingerprint.in_(list(fingerprints))]
    clauses += _scope(e, None, dag_id)
    parts = rollup_reads.split(tx, "event", buckets.start, buckets.end) if buckets.hourly else None
    since = parts.rolled_until if parts is not None and not parts.empty else None
    found = _grouped(
        tx, e, e.c.fingerprint, buckets, clauses=clauses, what="charting fingerprints", since=since
    )
    if parts is not None and not parts.empty:
        bucket = buckets.rollup_index(hf)
        stmt = (
            select(hf.c.fingerprint, bucket, func.sum(hf.c["count"]))
            .where(hf.c.source == "event", hf.c.fingerprint.in_(list(fingerprints)), *parts.hours(hf))
            .where(*_scope(hf, None, dag_id))
            .group_by(hf.c.fingerprint, bucket)
        )
        with tx.transaction("charting fingerprints per hour", write=False) as conn:
            for fp, index, count in conn.execute(stmt).all():
                found.setdefault(str(fp), [0] * len(buckets))[int(index)] += int(count)
    return {fp: found.get(fp, [0] * len(buckets)) for fp in fingerprints}


def quarantined_per_fingerprint(
    tx: Transactional, fingerprints: Sequence[str], *, dag_ids: Collection[str] | None
) -> dict[str, int]:
    """Quarantine rows (any status, any time) per fingerprint among *fingerprints*, on readable DAGs."""
    return rollup_reads.fingerprint_totals(
        tx, "quarantine", list(fingerprints), lambda table: _scope(table, dag_ids, None)
    )


@dataclass(frozen=True)
class LastFailure:
    """The newest error event of a fingerprint: where to look in Airflow."""

    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int
    created_at: datetime


_LAST_FAILURE_COLUMNS = (e.c.dag_id, e.c.task_id, e.c.run_id, e.c.map_index, e.c.try_number, e.c.created_at)


def last_failures(
    tx: Transactional, fingerprints: Sequence[str], *, dag_id: str | None = None
) -> dict[str, LastFailure]:
    """The newest error event of each fingerprint: one statement, an indexed lookup per fingerprint."""
    if not fingerprints:
        return {}
    parts = [
        # Each part its own subquery: SQLite takes no LIMIT on a bare UNION member.
        select(e.c.fingerprint, *_LAST_FAILURE_COLUMNS)
        .where(e.c.fingerprint == fp, *_scope(e, None, dag_id))
        .order_by(e.c.fingerprint.desc(), e.c.created_at.desc())
        .limit(1)
        .subquery()
        for fp in dict.fromkeys(fingerprints)
    ]
    with tx.transaction("reading the last failure per fingerprint", write=False) as conn:
        rows = conn.execute(union_all(*(select(part) for part in parts))).all()
    found = {row[0]: LastFailure(*row[1:]) for row in rows}
    return {fp: found[fp] for fp in fingerprints if fp in found}


def incident_failures(tx: Transactional, fingerprint: str, dag_id: str | None, buckets: Buckets) -> list[int]:
    """Error events of an incident's fingerprint (and DAG) per bucket."""
    clauses: list[ColumnElement[bool]] = [e.c.fingerprint == fingerprint, *_scope(e, None, dag_id)]
    found = _grouped(tx, e, None, buckets, clauses=clauses, what="charting an incident")
    return found.get("all", [0] * len(buckets))
