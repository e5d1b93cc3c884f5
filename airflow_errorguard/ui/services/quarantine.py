"""What the quarantine pages and API do, with the user's rights applied (shared by both)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import HTTPException, status

from airflow_errorguard.manage.filters import QuarantineQuery
from airflow_errorguard.storage.audit import AuditEntry
from airflow_errorguard.storage.quarantine_status import TransitionResult
from airflow_errorguard.storage.quarantine_types import Page, QuarantineRow
from airflow_errorguard.ui import access
from airflow_errorguard.ui.hook import get_hook

log = logging.getLogger(__name__)
Action = Literal["release", "discard", "requarantine"]
#: Target status of each action.
ACTION_STATUS: dict[str, str] = {"release": "released", "discard": "discarded", "requarantine": "quarantined"}
#: Rows one bulk action may change (narrow the filter beyond that).
BULK_LIMIT = 50_000
_CHUNK = 1000


def resolve(user: Any, query: QuarantineQuery) -> QuarantineQuery:
    """
    *query* with a fingerprint prefix replaced by the full fingerprint, among the rows *user* may
    read (:class:`~airflow_errorguard.manage.filters.FilterError` when ambiguous or unknown). Bulk
    actions resolve among readable rows too, then act on the editable ones.
    """
    if query.filter.fingerprint is None:
        return query
    scope = access.dag_scope(user, "GET")
    repo = get_hook().quarantine
    return query.resolve_fingerprint(
        lambda prefix, flt: repo.fingerprints_with_prefix(prefix, flt, dag_ids=scope.filter)
    )


def page(user: Any, query: QuarantineQuery, *, limit: int, after: int | None) -> Page[QuarantineRow]:
    """One page of the rows *user* may read."""
    query = resolve(user, query)
    scope = access.dag_scope(user, "GET")
    return get_hook().quarantine.page(
        query.filter, limit=limit, after=after, dag_ids=scope.filter, message_contains=query.message
    )


#: Matching rows the list page counts exactly; beyond that it says "more than".
COUNT_CAP = 1_000


def counts(user: Any, query: QuarantineQuery) -> dict[str, Any]:
    """
    Rows per status and per category among those *user* may read: exact up to
    :data:`COUNT_CAP` matching rows, else over the newest ones (``capped`` is then true).
    """
    query = resolve(user, query)
    scope = access.dag_scope(user, "GET")
    by_status, by_category, capped = get_hook().quarantine.newest_counts(
        query.filter, dag_ids=scope.filter, message_contains=query.message, cap=COUNT_CAP
    )
    return {"status": by_status, "category": by_category, "capped": capped, "cap": COUNT_CAP}


@dataclass(frozen=True)
class RecordView:
    row: QuarantineRow
    history: list[AuditEntry]
    can_edit: bool


def record(user: Any, row_id: int) -> RecordView:
    """One row with payload, traceback and audit history; 404 / 403 without ``GET`` on its DAG."""
    hook = get_hook()
    row = hook.quarantine.get(row_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No quarantined record {row_id}")
    access.require_dag(user, row.dag_id, "GET")
    history = hook.audit.history("quarantine", row_id, limit=200)
    return RecordView(row=row, history=history, can_edit=access.can_access_dag(user, row.dag_id, "PUT"))


def act(user: Any, row_id: int, action: str, note: str | None) -> TransitionResult:
    """Release / discard / re-quarantine one row; needs ``PUT`` on its DAG."""
    to_status = _target(action, note)
    hook = get_hook()
    row = hook.quarantine.get(row_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No quarantined record {row_id}")
    access.require_dag(user, row.dag_id, "PUT")
    return hook.quarantine.transition([row_id], to_status, actor=access.user_name(user), note=note)


def _target(action: str, note: str | None) -> str:
    if action not in ACTION_STATUS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"unknown action {action!r}; expected one of {sorted(ACTION_STATUS)}"
        )
    if action == "discard" and not (note or "").strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Discarding needs a note saying why")
    return ACTION_STATUS[action]


def bulk_count(user: Any, query: QuarantineQuery) -> int:
    """Rows a bulk action on *query* would touch (those on DAGs *user* may edit)."""
    query = resolve(user, query)
    scope = access.dag_scope(user, "PUT")
    return get_hook().quarantine.count(query.filter, dag_ids=scope.filter, message_contains=query.message)


def _ids(user: Any, query: QuarantineQuery) -> list[int]:
    query = resolve(user, query)
    scope = access.dag_scope(user, "PUT")
    repo = get_hook().quarantine
    ids: list[int] = []
    after: int | None = None
    while True:
        chunk = repo.page(
            query.filter, limit=_CHUNK, after=after, dag_ids=scope.filter, message_contains=query.message
        )
        ids.extend(r.id for r in chunk.items)
        if len(ids) > BULK_LIMIT:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"A bulk action may change at most {BULK_LIMIT} records; narrow the filter",
            )
        if chunk.next_cursor is None:
            return ids
        after = chunk.next_cursor


def bulk(
    user: Any, query: QuarantineQuery, action: str, note: str | None, expected_count: int
) -> TransitionResult:
    """
    Apply *action* to every row matching *query* that *user* may edit. *expected_count* is the count
    the user confirmed; when the matching set changed since, nothing happens (409).
    """
    to_status = _target(action, note)
    if query.is_empty:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "A bulk action needs a filter or a fingerprint")
    ids = _ids(user, query)
    if len(ids) != expected_count:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{len(ids)} records match now, not the {expected_count} you confirmed; review and retry",
        )
    return get_hook().quarantine.transition(ids, to_status, actor=access.user_name(user), note=note)


def export_rows(user: Any, query: QuarantineQuery, *, chunk: int = 500) -> Iterator[QuarantineRow]:
    """
    Every readable row matching *query* with its payload, newest first, one page at a time (the
    user's rights are resolved now, the rows are read as the caller iterates).
    """
    query = resolve(user, query)
    scope = access.dag_scope(user, "GET")
    repo = get_hook().quarantine

    def rows() -> Iterator[QuarantineRow]:
        after: int | None = None
        while True:
            found = repo.page(
                query.filter,
                limit=chunk,
                after=after,
                dag_ids=scope.filter,
                message_contains=query.message,
                include_payload=True,
            )
            yield from found.items
            if found.next_cursor is None:
                return
            after = found.next_cursor

    return rows()


@dataclass(frozen=True)
class ReplayTask:
    """A task that replays released records (ran at least once), and when it last started."""

    dag_id: str
    task_id: str
    last_run_id: str | None


#: ``TaskInstance.operator`` of the replay task.
REPLAY_OPERATOR = "QuarantineReplayOperator"
#: How many of the newest DAG runs (of any readable DAG, and of the record's DAG) are looked at for
#: replay tasks: ``task_instance.operator`` has no index, so the task instances are reached through
#: the runs (``dag_run.run_after`` and ``task_instance (dag_id, run_id)`` indexes), a bounded read.
RECENT_RUNS = 200


def replay_tasks(user: Any, dag_id: str | None = None, limit: int = 5) -> list[ReplayTask]:
    """
    Replay tasks that ran (started) in the :data:`RECENT_RUNS` newest DAG runs of DAGs *user* may
    read, or of *dag_id*, those of *dag_id* first, newest first, with the run they last started
    in: where a released record will be picked up. Empty when Airflow's tables cannot be read.
    """
    from airflow.models.dagrun import DagRun as DR
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from sqlalchemy import and_, select, union

    scope = access.dag_scope(user, "GET")
    newest_runs = select(DR.dag_id, DR.run_id).order_by(DR.run_after.desc()).limit(RECENT_RUNS)
    if scope.dag_ids is not None:
        newest_runs = newest_runs.where(DR.dag_id.in_(sorted(scope.dag_ids)))
    parts = [newest_runs]
    if dag_id is not None and scope.allows(dag_id):
        own = select(DR.dag_id, DR.run_id).where(DR.dag_id == dag_id)
        parts.append(own.order_by(DR.run_after.desc()).limit(RECENT_RUNS))
    # Each part a subquery: SQLite takes no LIMIT on a bare UNION member.
    runs = union(*(select(part.subquery()) for part in parts)).subquery()
    stmt = (
        select(TI.dag_id, TI.task_id, TI.run_id, TI.start_date)
        .join(runs, and_(TI.dag_id == runs.c.dag_id, TI.run_id == runs.c.run_id))
        .where(TI.operator == REPLAY_OPERATOR, TI.start_date.is_not(None))
    )
    try:
        with create_session() as session:
            newest: dict[tuple[str, str], tuple[Any, str]] = {}
            for d, t, run, started in session.execute(stmt).all():
                if (d, t) not in newest or started > newest[(d, t)][0]:
                    newest[(d, t)] = (started, run)
            ranked = sorted(newest.items(), key=lambda item: item[1][0], reverse=True)
            ranked.sort(key=lambda item: item[0][0] != dag_id)  # stable: newest first within each
            return [ReplayTask(d, t, run) for (d, t), (_, run) in ranked[:limit]]
    except Exception:  # the page still says what happens next, without links
        log.warning("errorguard UI: could not read replay tasks from Airflow", exc_info=True)
        return []
