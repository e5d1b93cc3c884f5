"""
Re-runs meeting the same bad records: counted on the open row, not stored again.

A record is a *repeat* when an earlier run of the same task (same DAG, task and map index) holds
a row for the same record key with the same fingerprint that is still open (``quarantined`` or
``released``). The repeat bumps that row's ``seen_count`` once per run and points its
``last_seen_run_id``/``last_seen_at`` at the new run; no row is stored for it. A closed row
(``replayed``/``discarded``) or a different fingerprint (the record now fails differently) lets
the new run store a row of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import String, any_, bindparam, cast, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, select

from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

#: Statuses of a row that still waits for someone (a repeat is counted on it).
OPEN_STATUSES = ("quarantined", "released")
_CHUNK = 500
#: Keys per lookup on PostgreSQL, where they travel as one array parameter (``= ANY(:keys)``).
_PG_CHUNK = 20_000
_KEYS = ARRAY(q.c.record_key.type)


def pg_array_literal(keys: Sequence[str]) -> str:
    """
    *keys* as a PostgreSQL array literal (``{"a","b"}``), for ``CAST(:keys AS VARCHAR[])``: built
    by one ``join`` in C where the driver's list dumper spends ~2 µs per element. Every element is
    double-quoted (braces, commas, blanks and the word NULL are then plain text); a backslash or a
    double quote is escaped with a backslash. Keys hold no NUL (the caller's stored keys never do).
    """
    probe = "".join(keys)
    if "\\" in probe or '"' in probe:
        keys = [key.replace("\\", "\\\\").replace('"', '\\"') for key in keys]
    return '{"' + '","'.join(keys) + '"}' if keys else "{}"


def count_repeats(
    conn: Connection,
    identity: TaskIdentity,
    fingerprints: Mapping[str, str | None],
    now: datetime,
    *,
    ordered: Sequence[str] | None = None,
) -> set[str]:
    """
    Count the repeats among *fingerprints* (stored record key -> fingerprint) on their open rows
    and return their keys (the caller does not store them).

    :param ordered: The keys of *fingerprints*, sorted, when the caller sorted them already.
    """
    keys = sorted(fingerprints) if ordered is None else ordered
    repeated: set[str] = set()
    postgres = conn.dialect.name == "postgresql"
    size = _PG_CHUNK if postgres else _CHUNK
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        among: ColumnElement[bool] = (
            q.c.record_key == any_(cast(bindparam("keys", pg_array_literal(chunk), type_=String()), _KEYS))
            if postgres
            else q.c.record_key.in_(chunk)
        )
        found = conn.execute(
            select(q.c.id, q.c.record_key, q.c.fingerprint, q.c.last_seen_run_id)
            .where(
                q.c.dag_id == identity.dag_id,
                q.c.task_id == identity.task_id,
                q.c.map_index == identity.map_index,
                q.c.run_id != identity.run_id,
                q.c.status.in_(OPEN_STATUSES),
                among,
            )
            .order_by(q.c.id.desc())  # several open rows (older versions): count on the newest
        ).all()
        bump: list[int] = []
        for row_id, key, fingerprint, last_run in found:
            if key in repeated or fingerprint != fingerprints[key]:
                continue
            repeated.add(key)
            if last_run != identity.run_id:  # once per run, however often the task retries
                bump.append(row_id)
        if bump:
            conn.execute(
                update(q)
                .where(q.c.id.in_(bump))
                .values(seen_count=q.c.seen_count + 1, last_seen_run_id=identity.run_id, last_seen_at=now)
            )
    return repeated
