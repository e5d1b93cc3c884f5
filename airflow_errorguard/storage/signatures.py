"""
Error signatures: the part of a quarantine row many bad records share, stored once.

A signature holds the classification (category, fingerprint, reason), the exception type and the
traceback template (the traceback without the record's own message at its end). Its key is the
first 16 hex digits of the SHA-256 of that content (:func:`signature_key`), so every writer, on any
backend and in any process, computes the same key: signatures are inserted with ``ON CONFLICT DO
NOTHING`` semantics in the transaction of the quarantine rows that reference them, which is safe
under concurrent writers. The migration that moved existing rows (``5b8d3f0e2a17``) keys them with
this same function.

Purges and writers: a write sets ``last_used_at`` on each signature it references (an upsert, so
it also holds the signature's row lock until it commits), and a purge deletes only signatures no
row references, unused for :data:`PURGE_GRACE`, skipping those a writer holds (PostgreSQL ``FOR
UPDATE SKIP LOCKED``). A writer that reuses a signature while a purge runs therefore either keeps
it (its ``last_used_at`` is recent) or, if the purge deleted it first, inserts it again: no row is
left without its context.

Readers join ``errorguard_error_signature`` with an outer join (:func:`joined`) and rebuild the
full context with :func:`row_fields`: a row whose signature is missing still reads, without its
type, reason and traceback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, FromClause, delete, exists, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from airflow_errorguard.storage.tables.error_signature import SIGNATURE_KEY_LEN
from airflow_errorguard.storage.tables.error_signature import error_signature_table as s
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

#: Separates the fields hashed into a key (a control character no field carries in practice).
SEPARATOR = "\x1f"
#: A signature's content: category, type, fingerprint, reason, traceback template, message_at_end.
Signature = tuple[str, str | None, str | None, str | None, str | None, bool]
#: A purge keeps signatures a write used this recently (longer than any write transaction runs).
PURGE_GRACE = timedelta(hours=1)
#: Signature columns a reader gets, under these labels.
READ_COLUMNS: list[ColumnElement[Any]] = [
    s.c.error_type.label("error_type"),
    s.c.reason.label("reason"),
]


def signature_key(signature: Signature) -> str:
    """The deterministic key of *signature* (``None`` hashes as the empty string)."""
    category, error_type, fingerprint, reason, template, at_end = signature
    text = SEPARATOR.join(
        (category, error_type or "", fingerprint or "", reason or "", template or "", "1" if at_end else "0")
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:SIGNATURE_KEY_LEN]


def split_traceback(traceback: str | None, message: str | None) -> tuple[str | None, bool]:
    """
    *traceback* as a template: without *message* (and its newline) when it ends with it, and
    whether it did. ``Type: message`` is the last line Python formats, so records failing the same
    way with different values share one template.
    """
    if traceback and message and traceback.endswith("\n") and traceback.endswith(message, 0, -1):
        return traceback[: -len(message) - 1], True
    return traceback, False


def full_traceback(template: str | None, at_end: bool | None, message: str | None) -> str | None:
    """The traceback a template and a row's message stand for (the inverse of :func:`split_traceback`)."""
    if template is None or not at_end:
        return template
    return f"{template}{message or ''}\n"


def joined(base: FromClause = q) -> FromClause:
    """*base* (the quarantine table) outer-joined with its signatures."""
    return base.outerjoin(s, s.c.signature_key == q.c.signature_key)


def traceback_columns() -> list[ColumnElement[Any]]:
    """Columns :func:`row_fields` needs to rebuild a traceback."""
    return [s.c.traceback.label("traceback_template"), s.c.message_at_end.label("message_at_end")]


def row_fields(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    """A joined row as :class:`~airflow_errorguard.storage.quarantine_types.QuarantineRow` fields."""
    data = dict(mapping)
    data.pop("signature_key", None)
    if "traceback_template" in data:
        template, at_end = data.pop("traceback_template"), data.pop("message_at_end")
        data["traceback"] = full_traceback(template, at_end, data.get("error_message"))
    return data


def _upsert(backend: str) -> Insert:
    """``INSERT`` of signatures that, for one already stored, only moves its ``last_used_at``."""
    if backend in ("postgresql", "sqlite"):
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = (pg_insert if backend == "postgresql" else sqlite_insert)(s)
        return stmt.on_conflict_do_update(
            index_elements=[s.c.signature_key], set_={"last_used_at": stmt.excluded.last_used_at}
        )
    from sqlalchemy.dialects.mysql import insert as mysql_insert

    my_stmt = mysql_insert(s)
    return my_stmt.on_duplicate_key_update(last_used_at=my_stmt.inserted.last_used_at)


def store(conn: Connection, signatures: Mapping[str, Signature], now: Any) -> None:
    """
    Insert *signatures* (by key) that are not stored yet and mark every one used *now*, in the
    caller's transaction (which holds their row locks until it ends).
    """
    if not signatures:
        return
    rows = [
        {
            "signature_key": key,
            "error_category": sig[0],
            "error_type": sig[1],
            "fingerprint": sig[2],
            "reason": sig[3],
            "traceback": sig[4],
            "message_at_end": sig[5],
            "created_at": now,
            "last_used_at": now,
        }
        for key, sig in sorted(signatures.items())  # one lock order for every writer
    ]
    conn.execute(_upsert(conn.dialect.name), rows)


def delete_unreferenced(conn: Connection, now: datetime, keys: Iterable[str] | None = None) -> int:
    """
    Delete signatures (among *keys*, or all) that no quarantine row references and no write used
    within :data:`PURGE_GRACE` before *now*, in one statement. On PostgreSQL a signature a
    concurrent writer holds is skipped, never waited for (no deadlock with writers).
    """
    unused = [
        s.c.last_used_at < now - PURGE_GRACE,
        ~exists().where(q.c.signature_key == s.c.signature_key),
    ]
    if keys is not None:
        wanted = sorted(set(keys))
        if not wanted:
            return 0
        unused.append(s.c.signature_key.in_(wanted))
    if conn.dialect.name == "postgresql":
        locked = select(s.c.signature_key).where(*unused).with_for_update(skip_locked=True)
        stmt = delete(s).where(s.c.signature_key.in_(locked))
    else:  # SQLite: one writer at a time; MySQL/MariaDB: the NOT EXISTS reads lock the rows
        stmt = delete(s).where(*unused)
    return max(conn.execute(stmt).rowcount, 0)
