"""
Quarantine repository: bulk idempotent insert, keyset-paginated listing, status changes, purge.

Every method runs in one transaction of its own, or in the caller's
:class:`~airflow_errorguard.storage.unit_of_work.UnitOfWork`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, func, select

from airflow_errorguard.storage import quarantine_status
from airflow_errorguard.storage.bulk import bulk_insert_ignoring_duplicates
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.payload import PayloadPolicy, clean_text, encode_payload
from airflow_errorguard.storage.quarantine_status import TransitionResult
from airflow_errorguard.storage.quarantine_types import (
    MESSAGE_LIMIT,
    REASON_LIMIT,
    TRACEBACK_LIMIT,
    InsertResult,
    Page,
    QuarantineFilter,
    QuarantineItem,
    QuarantineRow,
)
from airflow_errorguard.storage.tables.column_types import KEY_LEN
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

MAX_PAGE_SIZE = 1000
#: Records encoded per chunk of a bulk insert.
CHUNK_SIZE = 5_000
_SUMMARY_COLUMNS = [c for c in q.c if c.name not in ("payload", "traceback")]
#: Columns that differ between the rows of one insert (the rest are the task's and "now").
_VARYING = (
    "record_key",
    "payload",
    "payload_bytes",
    "payload_truncated",
    "payload_sha256",
    "error_category",
    "error_type",
    "error_message",
    "traceback",
    "fingerprint",
    "reason",
)


def storage_key(record_key: object) -> str:
    """The stored form of a record key: itself, or ``sha256:<hex>`` when longer than 200 characters."""
    key = clean_text(record_key, 1 << 30) or ""
    if len(key) <= KEY_LEN:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _where(flt: QuarantineFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if flt.statuses:
        statuses = list(flt.statuses)
        clauses.append(q.c.status == statuses[0] if len(statuses) == 1 else q.c.status.in_(statuses))
    for name in ("dag_id", "task_id", "run_id", "error_category", "fingerprint"):
        value = getattr(flt, name)
        if value is not None:
            clauses.append(q.c[name] == value)
    if flt.created_after is not None:
        clauses.append(q.c.created_at >= flt.created_after)
    if flt.created_before is not None:
        clauses.append(q.c.created_at < flt.created_before)
    return clauses


def _scope(dag_ids: Collection[str] | None, message_contains: str | None) -> list[ColumnElement[bool]]:
    """Clauses restricting rows to *dag_ids* (``None``: any DAG) and to a message substring."""
    clauses: list[ColumnElement[bool]] = []
    if dag_ids is not None:
        clauses.append(q.c.dag_id.in_(sorted(dag_ids)))
    if message_contains:
        clauses.append(q.c.error_message.icontains(message_contains, autoescape=True))
    return clauses


def _row(mapping: Any) -> QuarantineRow:
    return QuarantineRow(**dict(mapping))


class QuarantineRepository:
    """
    The ``errorguard_quarantine`` table.

    :param tx: A :class:`~airflow_errorguard.storage.database.Database` or a unit of work.
    :param policy: How payloads are serialised, capped and redacted.
    """

    def __init__(self, tx: Transactional, policy: PayloadPolicy | None = None) -> None:
        self._tx = tx
        self.policy = policy or PayloadPolicy()

    def _row(self, key: str, item: QuarantineItem) -> tuple[Any, ...]:
        """Values of :data:`_VARYING` for one record."""
        encoded = encode_payload(item.payload, self.policy)
        return (
            key,
            encoded.text,
            encoded.nbytes,
            encoded.truncated,
            encoded.sha256,
            clean_text(item.error_category, 32) or "unknown",
            clean_text(item.error_type, 250),
            clean_text(item.error_message, MESSAGE_LIMIT),
            clean_text(item.traceback, TRACEBACK_LIMIT),
            clean_text(item.fingerprint, 64),
            clean_text(item.reason, REASON_LIMIT),
        )

    def _chunks(self, ordered: list[tuple[str, QuarantineItem]]) -> Iterator[list[tuple[Any, ...]]]:
        for start in range(0, len(ordered), CHUNK_SIZE):
            yield [self._row(key, item) for key, item in ordered[start : start + CHUNK_SIZE]]

    def add(self, identity: TaskIdentity, items: Iterable[QuarantineItem]) -> InsertResult:
        """
        Quarantine *items* for *identity* in one transaction, skipping records already stored for
        the same task instance and record key (a retried task never duplicates a row).

        :return: How many rows were inserted and how many were already there.
        """
        items = list(items)
        by_key: dict[str, QuarantineItem] = {}
        for item in items:
            by_key.setdefault(storage_key(item.record_key), item)  # the first occurrence wins
        # Sorted by key: one lock order for every writer (see bulk_insert_ignoring_duplicates).
        ordered = sorted(by_key.items(), key=itemgetter(0))
        if not ordered:
            return InsertResult(inserted=0, duplicates=len(items))
        now = self._tx.clock()
        constants = {**identity.as_columns(), "status": "quarantined", "created_at": now, "updated_at": now}
        operation = f"quarantining {len(ordered)} records of {identity.dag_id}.{identity.task_id}"
        with self._tx.transaction(operation) as conn:
            inserted = bulk_insert_ignoring_duplicates(
                conn, q, constants, _VARYING, self._chunks(ordered), total=len(ordered)
            )
        return InsertResult(inserted=inserted, duplicates=len(items) - inserted)

    def get(self, row_id: int) -> QuarantineRow | None:
        """One row with its payload and traceback, or ``None``."""
        with self._tx.transaction(f"reading quarantine row {row_id}", write=False) as conn:
            found = conn.execute(select(q).where(q.c.id == row_id)).mappings().first()
        return None if found is None else _row(found)

    def page(
        self,
        flt: QuarantineFilter | None = None,
        *,
        limit: int = 50,
        after: int | None = None,
        newest_first: bool = True,
        include_payload: bool = False,
        dag_ids: Collection[str] | None = None,
        message_contains: str | None = None,
    ) -> Page[QuarantineRow]:
        """
        One page of rows matching *flt*, ordered by id (newest first by default).

        :param after: ``next_cursor`` of the previous page; ``None`` for the first page.
        :param include_payload: Also load ``payload`` and ``traceback`` (large).
        :param dag_ids: Only rows of these DAGs (e.g. those a user may read); ``None``: any DAG.
        :param message_contains: Only rows whose error message contains this text (any case).
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
        clauses = _where(flt or QuarantineFilter()) + _scope(dag_ids, message_contains)
        if after is not None:
            clauses.append(q.c.id < after if newest_first else q.c.id > after)
        columns = list(q.c) if include_payload else _SUMMARY_COLUMNS
        stmt = (
            select(*columns)
            .where(*clauses)
            .order_by(q.c.id.desc() if newest_first else q.c.id.asc())
            .limit(limit + 1)
        )
        with self._tx.transaction("listing quarantine rows", write=False) as conn:
            found = [_row(m) for m in conn.execute(stmt).mappings()]
        more = len(found) > limit
        items = found[:limit]
        return Page(items=items, next_cursor=items[-1].id if more else None)

    def count(
        self,
        flt: QuarantineFilter | None = None,
        *,
        dag_ids: Collection[str] | None = None,
        message_contains: str | None = None,
    ) -> int:
        """How many rows match *flt* (and *dag_ids*/*message_contains*, as in :meth:`page`)."""
        clauses = _where(flt or QuarantineFilter()) + _scope(dag_ids, message_contains)
        stmt = select(func.count()).select_from(q).where(*clauses)
        with self._tx.transaction("counting quarantine rows", write=False) as conn:
            return int(conn.execute(stmt).scalar_one())

    def count_by(
        self,
        column: str,
        flt: QuarantineFilter | None = None,
        *,
        dag_ids: Collection[str] | None = None,
        message_contains: str | None = None,
    ) -> dict[str, int]:
        """Rows matching the filters per value of *column* (``status``, ``error_category``, ``dag_id``)."""
        if column not in ("status", "error_category", "dag_id"):
            raise ValueError(f"count_by: cannot group by {column!r}")
        clauses = _where(flt or QuarantineFilter()) + _scope(dag_ids, message_contains)
        stmt = select(q.c[column], func.count()).where(*clauses).group_by(q.c[column])
        with self._tx.transaction(f"counting quarantine rows per {column}", write=False) as conn:
            return {str(value): int(n) for value, n in conn.execute(stmt).all()}

    def newest_counts(
        self,
        flt: QuarantineFilter | None = None,
        *,
        dag_ids: Collection[str] | None = None,
        message_contains: str | None = None,
        cap: int = 10_000,
    ) -> tuple[dict[str, int], dict[str, int], bool]:
        """
        Rows per status and per category among the newest *cap* + 1 rows matching the filters, and
        whether more rows match (the counts are then a lower bound). Bounded cost on any table size:
        one keyset range of the id-ordered indexes.
        """
        clauses = _where(flt or QuarantineFilter()) + _scope(dag_ids, message_contains)
        newest = (
            select(q.c.status, q.c.error_category).where(*clauses).order_by(q.c.id.desc()).limit(cap + 1)
        ).subquery()
        stmt = select(newest.c.status, newest.c.error_category, func.count()).group_by(
            newest.c.status, newest.c.error_category
        )
        by_status: dict[str, int] = {}
        by_category: dict[str, int] = {}
        with self._tx.transaction("counting the newest quarantine rows", write=False) as conn:
            for status, category, n in conn.execute(stmt).all():
                by_status[str(status)] = by_status.get(str(status), 0) + int(n)
                by_category[str(category)] = by_category.get(str(category), 0) + int(n)
        return by_status, by_category, sum(by_status.values()) > cap

    def transition(
        self, ids: Sequence[int], to_status: str, *, actor: str, note: str | None = None
    ) -> TransitionResult:
        """
        Move rows to *to_status* (``released``, ``replayed``, ``discarded`` or back to
        ``quarantined``), writing one audit row per changed row. Rows whose current status does
        not allow it are skipped and reported.
        """
        return quarantine_status.transition(self._tx, ids, to_status, actor=actor, note=note)

    def release(self, ids: Sequence[int], *, actor: str, note: str | None = None) -> TransitionResult:
        """Mark rows ready to be replayed."""
        return self.transition(ids, "released", actor=actor, note=note)

    def discard(self, ids: Sequence[int], *, actor: str, note: str | None = None) -> TransitionResult:
        """Give up on rows (kept until purged)."""
        return self.transition(ids, "discarded", actor=actor, note=note)

    def mark_replayed(self, ids: Sequence[int], *, actor: str, note: str | None = None) -> TransitionResult:
        """Record that rows were processed successfully on replay."""
        return self.transition(ids, "replayed", actor=actor, note=note)

    def purge(
        self,
        older_than: datetime,
        *,
        statuses: Sequence[str] = ("replayed", "discarded"),
        batch_size: int = 5000,
        actor: str = "errorguard",
    ) -> int:
        """
        Delete rows in *statuses* not changed since *older_than*, *batch_size* rows per
        transaction; one audit row records the purge. Returns how many rows were deleted.
        """
        return quarantine_status.purge(
            self._tx, older_than, statuses=statuses, batch_size=batch_size, actor=actor
        )
