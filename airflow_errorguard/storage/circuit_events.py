"""Reading circuit transitions (``errorguard_circuit_event``): rows to events, newest-first look-ups."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Executable

from airflow_errorguard.breaker.storage import CircuitEvent
from airflow_errorguard.storage.tables.circuit import circuit_event_table as ev


def event_of(m: Any) -> CircuitEvent:
    return CircuitEvent(
        id=m["id"],
        circuit=m["circuit_name"],
        from_state=m["from_state"],
        to_state=m["to_state"],
        reason=m["reason"],
        actor=m["actor"],
        dag_id=m["dag_id"],
        task_id=m["task_id"],
        run_id=m["run_id"],
        map_index=m["map_index"],
        failure_rate=m["failure_rate"],
        calls_in_window=m["calls_in_window"],
        next_probe_at=m["next_probe_at"],
        created_at=m["created_at"],
    )


#: The transition columns in :class:`CircuitEvent`'s field order.
EVENT_COLUMNS = [ev.c[name] for name in ("id", "circuit_name", *(f.name for f in fields(CircuitEvent)[2:]))]


def newest(name: str, limit: int) -> Select[Any]:
    """
    The newest *limit* transitions of circuit *name*, read backwards along the
    ``(circuit_name, id)`` index. The name is bounded (``>=`` and ``<=``) rather than compared
    with ``=`` and the order is ``circuit_name, id``: with ``=``, PostgreSQL drops the name from
    the order and may walk the primary key backwards instead, filtering every other circuit's
    transitions out (~5,000 rows per circuit at 1M transitions over 50 circuits). Same rows.
    """
    named = ev.c.circuit_name
    return (
        select(*EVENT_COLUMNS)
        .where(named >= name, named <= name)
        .order_by(named.desc(), ev.c.id.desc())
        .limit(limit)
    )


#: Circuits whose transitions :func:`newest_statements` reads per statement.
PER_STATEMENT = 50


def newest_of_each(limit: int) -> Select[Any]:
    """
    PostgreSQL: :func:`newest` for every name in the array parameter ``names``, as one ``LATERAL``
    join over ``unnest(:names)``. Same rows and index walk as the ``UNION ALL`` of :func:`newest`
    statements, but one small plan: PostgreSQL planned the 50-member union anew on every call
    (15-30 ms of planning for ~10 ms of execution at 1M transitions).
    """
    names = func.unnest(bindparam("names", type_=ARRAY(String))).table_valued("name").alias("names")
    named = ev.c.circuit_name
    newest = (
        select(*EVENT_COLUMNS)
        .where(named >= names.c.name, named <= names.c.name)
        .order_by(named.desc(), ev.c.id.desc())
        .limit(limit)
        .lateral("newest")
    )
    return select(newest).select_from(names).join(newest, true())


def newest_statements(dialect: str, names: list[str], limit: int) -> list[tuple[Executable, dict[str, Any]]]:
    """
    Statements (with their parameters) reading :func:`newest` of each of *names*: on PostgreSQL one
    ``LATERAL`` join (:func:`newest_of_each`); elsewhere :data:`PER_STATEMENT` look-ups per
    ``UNION ALL`` statement.
    """
    if not names:
        return []
    if dialect == "postgresql":
        return [(newest_of_each(limit), {"names": list(names)})]
    return [
        # Each member its own subquery: SQLite takes no LIMIT on a bare UNION member.
        (union_all(*(select(newest(name, limit).subquery()) for name in names[i : i + PER_STATEMENT])), {})
        for i in range(0, len(names), PER_STATEMENT)
    ]
