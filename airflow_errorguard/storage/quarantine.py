"""
Quarantine repository: bulk idempotent insert, keyset-paginated listing, status changes, purge.

Every method runs in one transaction of its own, or in the caller's
:class:`~airflow_errorguard.storage.unit_of_work.UnitOfWork`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, func, select

from airflow_errorguard.storage import quarantine_status, repeats, signatures
from airflow_errorguard.storage.bulk import bulk_insert_ignoring_duplicates
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.payload import PayloadPolicy, clean_text, payload_encoder, payload_sha256
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
from airflow_errorguard.storage.signatures import Signature
from airflow_errorguard.storage.tables.column_types import KEY_LEN
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

MAX_PAGE_SIZE = 1000
#: Records encoded per chunk of a bulk insert.
CHUNK_SIZE = 5_000
_SUMMARY_COLUMNS = [*(c for c in q.c if c.name != "payload"), *signatures.READ_COLUMNS]
_FULL_COLUMNS = [*q.c, *signatures.READ_COLUMNS, *signatures.traceback_columns()]
_JOINED = signatures.joined()
#: Columns that differ between the rows of one insert (the rest are the task's and "now").
_VARYING = (
    "record_key",
    "payload",
    "payload_bytes",
    "payload_truncated",
    "payload_sha256",
    "error_category",
    "error_message",
    "fingerprint",
    "signature_key",
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


def _fingerprints(by_key: dict[str, QuarantineItem]) -> dict[str, str | None]:
    """The stored fingerprint of each item, by key (each distinct fingerprint cleaned once)."""
    cleaned: dict[Any, str | None] = {}
    found: dict[str, str | None] = {}
    for key, item in by_key.items():
        fingerprint = item.fingerprint
        try:
            found[key] = cleaned[fingerprint]
        except KeyError:
            found[key] = cleaned[fingerprint] = clean_text(fingerprint, 64)
        except TypeError:  # not text
            found[key] = clean_text(fingerprint, 64)
    return found


def _row(mapping: Any) -> QuarantineRow:
    fields = signatures.row_fields(mapping)
    if fields.get("payload_sha256") is None and fields.get("payload") is not None:
        fields["payload_sha256"] = payload_sha256(fields["payload"])  # a whole payload's: not stored
    if fields.get("updated_at") is None:  # never changed since it was stored
        fields["updated_at"] = fields["created_at"]
    return QuarantineRow(**fields)


class QuarantineRepository:
    """
    The ``errorguard_quarantine`` table.

    :param tx: A :class:`~airflow_errorguard.storage.database.Database` or a unit of work.
    :param policy: How payloads are serialised, capped and redacted.
    """

    def __init__(self, tx: Transactional, policy: PayloadPolicy | None = None) -> None:
        self._tx = tx
        self.policy = policy or PayloadPolicy()

    def _chunks(
        self, ordered: list[tuple[str, QuarantineItem]], found: dict[Signature, str]
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Row values of :data:`_VARYING` per chunk; *found* collects the signatures they use."""
        encode, split = payload_encoder(self.policy), signatures.split_traceback
        # Bad records failing the same way share their category, type, fingerprint, reason and
        # traceback template: those are cleaned and keyed once per distinct combination.
        shared: dict[tuple[Any, ...], tuple[str, str | None, str]] = {}
        for start in range(0, len(ordered), CHUNK_SIZE):
            rows: list[tuple[Any, ...]] = []
            append = rows.append
            for key, item in ordered[start : start + CHUNK_SIZE]:
                text, nbytes, truncated, sha256 = encode(item.payload)
                message = clean_text(item.error_message, MESSAGE_LIMIT)
                template, at_end = split(clean_text(item.traceback, TRACEBACK_LIMIT), message)
                raw = (item.error_category, item.error_type, item.fingerprint, item.reason, template, at_end)
                try:
                    category, fingerprint, sig_key = shared[raw]
                except KeyError:
                    category, fingerprint, sig_key = shared[raw] = self._signature(raw, found)
                except TypeError:  # a field that is not text (unhashable): cleaned on its own
                    category, fingerprint, sig_key = self._signature(raw, found)
                append(
                    (
                        key,
                        text,
                        nbytes,
                        truncated,
                        sha256,
                        category,
                        message,
                        fingerprint,
                        sig_key,
                    )
                )
            yield rows

    @staticmethod
    def _signature(raw: tuple[Any, ...], found: dict[Signature, str]) -> tuple[str, str | None, str]:
        """Cleaned category and fingerprint of an item's *raw* signature fields, and its key."""
        category, error_type, fingerprint, reason, template, at_end = raw
        signature: Signature = (
            clean_text(category, 32) or "unknown",
            clean_text(error_type, 250),
            clean_text(fingerprint, 64),
            clean_text(reason, REASON_LIMIT),
            template,
            at_end,
        )
        sig_key = found.get(signature)
        if sig_key is None:
            sig_key = found[signature] = signatures.signature_key(signature)
        return signature[0], signature[2], sig_key

    def add(
        self, identity: TaskIdentity, items: Iterable[QuarantineItem], *, count_repeats: bool = True
    ) -> InsertResult:
        """
        Quarantine *items* for *identity* in one transaction, skipping records already stored for
        the same task instance and record key (a retried task never duplicates a row).

        :param count_repeats: A record an earlier run of the task still holds open with the same
            fingerprint is counted on that row instead of stored again
            (:mod:`~airflow_errorguard.storage.repeats`); ``False`` stores it for this run too.
        :return: How many rows were inserted, already there, and counted as repeats.
        """
        items = list(items)
        by_key: dict[str, QuarantineItem] = {}
        for item in items:
            key = item.record_key
            if not (type(key) is str and len(key) <= KEY_LEN and key.isascii() and "\x00" not in key):
                key = storage_key(key)  # else stored as it is
            if key not in by_key:  # the first occurrence wins
                by_key[key] = item
        if not by_key:
            return InsertResult(inserted=0, duplicates=len(items))
        now = self._tx.clock()
        constants = {**identity.as_columns(), "status": "quarantined", "created_at": now}
        operation = f"quarantining {len(by_key)} records of {identity.dag_id}.{identity.task_id}"
        with self._tx.transaction(operation) as conn:
            # Sorted by key (once: the repeats' lookup reads them in this order too): one lock
            # order for every writer (see bulk_insert_ignoring_duplicates).
            ordered = sorted(by_key.items(), key=itemgetter(0))
            repeated: set[str] = set()
            if count_repeats:
                fingerprints = _fingerprints(by_key)
                keys = [key for key, _ in ordered]
                repeated = repeats.count_repeats(conn, identity, fingerprints, now, ordered=keys)
                if repeated:
                    ordered = [kv for kv in ordered if kv[0] not in repeated]
            found: dict[Signature, str] = {}
            # The rows name their signature by key (no foreign key): the distinct signatures the
            # chunks met are stored after them, in the same transaction.
            inserted = bulk_insert_ignoring_duplicates(
                conn, q, constants, _VARYING, self._chunks(ordered, found), total=len(ordered)
            )
            signatures.store(conn, {key: sig for sig, key in found.items()}, now)
        return InsertResult(
            inserted=inserted, duplicates=len(items) - inserted - len(repeated), repeated=len(repeated)
        )

    def get(self, row_id: int) -> QuarantineRow | None:
        """One row with its payload and traceback, or ``None``."""
        with self._tx.transaction(f"reading quarantine row {row_id}", write=False) as conn:
            stmt = select(*_FULL_COLUMNS).select_from(_JOINED).where(q.c.id == row_id)
            found = conn.execute(stmt).mappings().first()
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
        columns = _FULL_COLUMNS if include_payload else _SUMMARY_COLUMNS
        stmt = (
            select(*columns)
            .select_from(_JOINED)
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

    def fingerprints_with_prefix(
        self,
        prefix: str,
        flt: QuarantineFilter | None = None,
        *,
        dag_ids: Collection[str] | None = None,
        limit: int = 5,
    ) -> list[str]:
        """
        Up to *limit* distinct fingerprints starting with *prefix* (in order, so an exact match comes
        first) among rows matching *flt* and *dag_ids* (*flt*'s own fingerprint is ignored).
        """
        clauses = _where(replace(flt or QuarantineFilter(), fingerprint=None)) + _scope(dag_ids, None)
        clauses.append(q.c.fingerprint.startswith(prefix, autoescape=True))
        if prefix.isascii() and prefix.isalnum():
            # An index range too (LIKE alone cannot use the index under a non-C collation).
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            clauses += [q.c.fingerprint >= prefix, q.c.fingerprint < upper]
        stmt = select(q.c.fingerprint).where(*clauses).distinct().order_by(q.c.fingerprint).limit(limit)
        with self._tx.transaction("looking up fingerprints by prefix", write=False) as conn:
            return [str(f) for f in conn.execute(stmt).scalars()]

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

    def purgeable(self, older_than: datetime, *, statuses: Sequence[str] = ("replayed", "discarded")) -> int:
        """How many rows :meth:`purge` would delete now (a dry run)."""
        return quarantine_status.purgeable(self._tx, older_than, statuses=statuses)
