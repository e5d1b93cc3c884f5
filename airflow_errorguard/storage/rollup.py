"""
The hourly rollups ``errorguard_hourly_count`` (error events and quarantine rows per UTC hour, DAG
and category) and ``errorguard_hourly_fingerprint`` (the same per fingerprint too, with the first
and last time and largest error type), so pictures and top patterns over days read a few thousand
rows instead of every raw row. Both always hold the same hours: every fill and refresh below
recounts both.

Nothing on the write path touches it. Finished hours are filled lazily from the raw rows the first
time a reader asks for them (:func:`ensure_filled`); the hours since :func:`horizon` (the current
hour and, for :data:`GRACE` after it ends, the previous one) are always read from the raw rows.
Each source's ``errorguard_rollup_state`` row says which hours the rollup holds
(``[filled_from, filled_until)``, kept contiguous) and is locked by every fill and by every
deletion of raw rows (:func:`lock`, then :func:`refresh_hours` / :func:`refresh_before` in the
same transaction), so a fill never stores counts a concurrent purge is deleting.

Raw rows are counted in the hour of their ``created_at``; errorguard stamps it at insert time, so
a row never lands in an hour that is already filled (unless its transaction stays open longer
than :data:`GRACE`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    FromClause,
    Table,
    case,
    column,
    delete,
    func,
    literal,
    select,
    update,
)

from airflow_errorguard.storage import signatures
from airflow_errorguard.storage.tables.column_types import UtcDateTime
from airflow_errorguard.storage.tables.error_event import error_event_table
from airflow_errorguard.storage.tables.error_signature import error_signature_table
from airflow_errorguard.storage.tables.hourly_count import hourly_count_table as h
from airflow_errorguard.storage.tables.hourly_count import hourly_fingerprint_table as hf
from airflow_errorguard.storage.tables.hourly_count import rollup_state_table as s
from airflow_errorguard.storage.tables.quarantine import quarantine_table
from airflow_errorguard.storage.upsert import insert_ignoring_duplicates

Source = Literal["event", "quarantine"]
SOURCES: dict[Source, Table] = {"event": error_event_table, "quarantine": quarantine_table}
HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: How long after an hour ends it is still read from the raw rows (a write stamped just before
#: the hour ended may commit a little after it).
GRACE = timedelta(minutes=10)
#: Hours counted per grouped query when filling.
_CHUNK_HOURS = 24

Key = tuple[datetime, str, str]
#: (hour, DAG, fingerprint, category) -> (count, first created_at, last created_at, largest type).
FingerprintKey = tuple[datetime, str, str, str]
FingerprintRow = tuple[int, datetime, datetime, str | None]


def type_column(source: Source) -> str:
    """
    The raw column the fingerprint rollup's ``error_type`` is the largest of (the quarantine's is
    on its error signatures, ``errorguard_error_signature``).
    """
    return "exception_type" if source == "event" else "error_type"


def aware(value: object) -> datetime:
    """An aggregate's timestamp as aware UTC (SQLite may hand back a string)."""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    result = UtcDateTime().process_result_value(value, None)  # type: ignore[arg-type]
    assert result is not None
    return result


def floor_hour(at: datetime) -> datetime:
    """The UTC hour *at* falls in."""
    return at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def hour_number(hour: datetime) -> int:
    """The rollup's ``hour`` of the UTC hour *hour* falls in: whole hours since 1970-01-01 UTC."""
    return (hour.astimezone(timezone.utc) - EPOCH) // HOUR


def hour_start(number: int) -> datetime:
    """The start of the rollup's ``hour`` *number*."""
    return EPOCH + HOUR * number


def ceil_hour(at: datetime) -> datetime:
    """The first whole UTC hour at or after *at*."""
    start = floor_hour(at)
    return start if start == at else start + HOUR


def horizon(now: datetime) -> datetime:
    """Hours before this one are final: the rollup may hold them."""
    return floor_hour(now - GRACE)


def _hour_chunks(table: Table, start: datetime, end: datetime) -> Iterable[tuple[datetime, datetime, Any]]:
    """Per day of ``[start, end)``: its bounds and the bucket expression (hour index in the day)."""
    chunk = start
    while chunk < end:
        stop = min(chunk + HOUR * _CHUNK_HOURS, end)
        edges = [chunk + HOUR * i for i in range(1, round((stop - chunk) / HOUR))]
        created = table.c.created_at
        whens = [(created < edge, literal(i)) for i, edge in enumerate(edges)]
        # One hour: no bucket column (PostgreSQL reads a constant in GROUP BY as a position).
        bucket = case(*whens, else_=literal(len(edges))) if whens else None
        yield chunk, stop, bucket
        chunk = stop


def raw_counts(conn: Connection, source: Source, start: datetime, end: datetime) -> dict[Key, int]:
    """Raw rows per (hour, DAG, category) in the whole hours ``[start, end)``, one query per day."""
    table = SOURCES[source]
    found: dict[Key, int] = {}
    for chunk, stop, bucket in _hour_chunks(table, start, end):
        created = table.c.created_at
        index = bucket if bucket is not None else literal(0)
        stmt = (
            select(table.c.dag_id, table.c.error_category, index.label("bucket"), func.count())
            .where(created >= chunk, created < stop)
            .group_by(table.c.dag_id, table.c.error_category, *([bucket] if bucket is not None else []))
        )
        for dag_id, category, i, count in conn.execute(stmt).all():
            key = (chunk + HOUR * int(i), str(dag_id), str(category))
            found[key] = found.get(key, 0) + int(count)
    return found


def raw_fingerprints(
    conn: Connection, source: Source, start: datetime, end: datetime, *, legacy: bool = False
) -> dict[FingerprintKey, FingerprintRow]:
    """
    Raw rows with a fingerprint per (hour, DAG, fingerprint, category) in ``[start, end)``.
    *legacy*: the quarantine as it was before its error signatures (for an earlier migration).
    """
    table = SOURCES[source]
    created = table.c.created_at
    rows: FromClause = table
    kind: ColumnElement[Any]
    if source == "event":
        kind = table.c[type_column(source)]
    elif legacy:  # a migration before 5b8d3f0e2a17: the type still on the quarantine row
        kind = column("error_type")
    else:  # the type is stored once per error signature
        rows, kind = signatures.joined(table), error_signature_table.c.error_type
    found: dict[FingerprintKey, FingerprintRow] = {}
    for chunk, stop, bucket in _hour_chunks(table, start, end):
        index = bucket if bucket is not None else literal(0)
        keys = (table.c.dag_id, table.c.fingerprint, table.c.error_category)
        stmt = (
            select(
                *keys,
                index.label("bucket"),
                func.count(),
                func.min(created),
                func.max(created),
                func.max(kind),
            )
            .select_from(rows)
            .where(created >= chunk, created < stop, table.c.fingerprint.is_not(None))
            .group_by(*keys, *([bucket] if bucket is not None else []))
        )
        for dag_id, fp, category, i, count, first, last, etype in conn.execute(stmt).all():
            key = (chunk + HOUR * int(i), str(dag_id), str(fp), str(category))
            found[key] = (int(count), aware(first), aware(last), None if etype is None else str(etype))
    return found


def _store(conn: Connection, source: Source, counts: dict[Key, int]) -> None:
    rows = [
        {"source": source, "hour": hour_number(hour), "dag_id": dag_id, "category": category, "count": n}
        for (hour, dag_id, category), n in sorted(counts.items())
    ]
    for start in range(0, len(rows), 1000):
        conn.execute(h.insert(), rows[start : start + 1000])


def _store_fingerprints(
    conn: Connection, source: Source, found: dict[FingerprintKey, FingerprintRow]
) -> None:
    rows = [
        {
            "source": source,
            "hour": hour_number(hour),
            "dag_id": dag_id,
            "fingerprint": fp,
            "category": category,
            "count": count,
            "first_at": first,
            "last_at": last,
            "error_type": etype,
        }
        for (hour, dag_id, fp, category), (count, first, last, etype) in sorted(found.items())
    ]
    for start in range(0, len(rows), 1000):
        conn.execute(hf.insert(), rows[start : start + 1000])


def lock(
    conn: Connection, source: Source, *, generation: bool = True
) -> tuple[datetime | None, datetime | None]:
    """
    Lock *source*'s state row (created when missing) for this transaction: its filled hours. Every
    recount locks first, so this also bumps the row's ``generation`` (the readers' memo of summed
    hours, :mod:`.rollup_memo`, is only valid for one generation); ``generation=False`` only for
    the migrations that run before the column exists.
    """
    conn.execute(_touch(conn.dialect.name, source))
    row = conn.execute(select(s.c.filled_from, s.c.filled_until).where(s.c.source == source)).one()
    if generation:
        old = conn.execute(select(s.c.generation).where(s.c.source == source)).scalar_one()
        conn.execute(update(s).where(s.c.source == source).values(generation=next_generation(old)))
    return row[0], row[1]


def next_generation(old: int) -> int:
    """
    The generation after *old*: larger, and at least the wall clock in microseconds, so a state row
    created again (a reset database) does not reuse a generation a reader may still remember.
    """
    return max(old + 1, time.time_ns() // 1000)


def _touch(backend: str, source: Source) -> Executable:
    """
    Create-or-lock the state row in one statement: an upsert takes the row's exclusive lock at
    once (``SELECT ... FOR UPDATE`` of a missing row, then ``INSERT``, deadlocks on MySQL).
    SQLite's write transactions are serial already (``BEGIN IMMEDIATE``).
    """
    if backend == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return (
            pg_insert(s)
            .values(source=source)
            .on_conflict_do_update(index_elements=[s.c.source], set_={"source": source})
        )
    if backend in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        return mysql_insert(s).values(source=source).on_duplicate_key_update(source=source)
    return insert_ignoring_duplicates(s, backend).values(source=source)


def fill(
    conn: Connection, source: Source, start: datetime, end: datetime, *, fingerprints: bool = True
) -> None:
    """
    Recount the whole hours ``[start, end)`` of *source* from the raw rows (under :func:`lock`),
    in both rollups (only the per-category one with ``fingerprints=False``: migration
    ``c41d7e5a9f12`` runs before the fingerprint table exists).
    """
    if start >= end:
        return
    conn.execute(
        delete(h).where(h.c.source == source, h.c.hour >= hour_number(start), h.c.hour < hour_number(end))
    )
    _store(conn, source, raw_counts(conn, source, start, end))
    if fingerprints:
        fill_fingerprints(conn, source, start, end)


def fill_fingerprints(
    conn: Connection, source: Source, start: datetime, end: datetime, *, legacy: bool = False
) -> None:
    """
    Recount the whole hours ``[start, end)`` of *source*'s fingerprint rollup (under :func:`lock`);
    *legacy* as in :func:`raw_fingerprints`.
    """
    if start >= end:
        return
    span = (hf.c.hour >= hour_number(start), hf.c.hour < hour_number(end))
    conn.execute(delete(hf).where(hf.c.source == source, *span))
    _store_fingerprints(conn, source, raw_fingerprints(conn, source, start, end, legacy=legacy))


def ensure_filled(
    conn: Connection,
    source: Source,
    start: datetime,
    end: datetime,
    *,
    fingerprints: bool = True,
    generation: bool = True,
) -> datetime:
    """
    Make the rollup hold every whole hour of ``[floor_hour(start), end)`` (*end* at most the
    :func:`horizon`); returns where it now holds hours until. Write transaction: locks the state.
    """
    want_from, want_until = floor_hour(start), floor_hour(end)
    filled_from, filled_until = lock(conn, source, generation=generation)
    if want_from >= want_until:
        return filled_until or want_until
    kw = {"fingerprints": fingerprints}
    if filled_from is None or filled_until is None:
        fill(conn, source, want_from, want_until, **kw)
        filled_from, filled_until = want_from, want_until
    else:
        if want_from < filled_from:
            fill(conn, source, want_from, filled_from, **kw)
            filled_from = want_from
        if want_until > filled_until:
            fill(conn, source, filled_until, want_until, **kw)
            filled_until = want_until
    conn.execute(
        update(s).where(s.c.source == source).values(filled_from=filled_from, filled_until=filled_until)
    )
    return filled_until


def filled(conn: Connection, source: Source) -> tuple[datetime | None, datetime | None]:
    """The hours the rollup holds for *source*, without locking (``(None, None)``: none yet)."""
    row = conn.execute(select(s.c.filled_from, s.c.filled_until).where(s.c.source == source)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def refresh_hours(conn: Connection, source: Source, hours: Iterable[datetime]) -> None:
    """
    Recount the hours containing *hours* (timestamps of deleted raw rows) that the rollup holds;
    call after deleting raw rows, in the same transaction, having taken :func:`lock` before.
    """
    filled_from, filled_until = filled(conn, source)
    if filled_from is None or filled_until is None:
        return
    wanted = sorted({floor_hour(at) for at in hours})
    wanted = [hour for hour in wanted if filled_from <= hour < filled_until]
    run_start: datetime | None = None
    previous: datetime | None = None
    for hour in [*wanted, None]:
        if hour is not None and previous is not None and hour == previous + HOUR:
            previous = hour
            continue
        if run_start is not None and previous is not None:
            fill(conn, source, run_start, previous + HOUR)
        run_start = previous = hour


def refresh_before(conn: Connection, source: Source, older_than: datetime) -> None:
    """After deleting every raw row created before *older_than*: drop those hours, recount the partial one."""
    conn.execute(delete(h).where(h.c.source == source, h.c.hour < hour_number(older_than)))
    conn.execute(delete(hf).where(hf.c.source == source, hf.c.hour < hour_number(older_than)))
    if floor_hour(older_than) != older_than:
        refresh_hours(conn, source, [older_than])
