"""
Orphans: quarantine rows and checkpoints whose DAG run no longer exists in Airflow.

Deleting a DAG run (UI, API, ``airflow db clean``) leaves errorguard's rows behind. A quarantine
row is orphaned when neither its ``run_id`` nor its ``last_seen_run_id`` (a later run that met
the record again) names an existing run of its DAG; a checkpoint scoped to a run is orphaned when
that run is gone (checkpoints with an empty ``run_id`` span runs and are never orphans). Clearing
a run keeps the run, so its rows are not orphaned.

Finding orphans reads Airflow's ``dag_run`` table (``dag_id``, ``run_id`` only), so it needs
errorguard's tables in Airflow's metadata database; elsewhere it raises
:class:`~airflow_errorguard.exceptions.ErrorGuardStorageConfigError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    and_,
    delete,
    exists,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Connection

from airflow_errorguard.exceptions import ErrorGuardStorageConfigError
from airflow_errorguard.storage import rollup, signatures
from airflow_errorguard.storage.audit import audit_row, insert_audit_rows
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.quarantine_status import untouched_before
from airflow_errorguard.storage.tables.checkpoint import checkpoint_table as c
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

#: Airflow's ``dag_run`` table, the two columns read here (never written).
dag_run = Table("dag_run", MetaData(), Column("dag_id", String(250)), Column("run_id", String(250)))
_CHUNK = 1000


def _run_exists(dag_id: Any, run_id: Any) -> ColumnElement[bool]:
    return exists().where(dag_run.c.dag_id == dag_id, dag_run.c.run_id == run_id)


def quarantine_orphaned() -> ColumnElement[bool]:
    """Quarantine rows whose run (and last re-run) no longer exists."""
    return and_(
        ~_run_exists(q.c.dag_id, q.c.run_id),
        (q.c.last_seen_run_id.is_(None)) | ~_run_exists(q.c.dag_id, q.c.last_seen_run_id),
    )


def checkpoint_orphaned() -> ColumnElement[bool]:
    """Run-scoped checkpoints whose run no longer exists."""
    return and_(c.c.run_id != "", c.c.dag_id != "", ~_run_exists(c.c.dag_id, c.c.run_id))


@dataclass(frozen=True)
class OrphanCounts:
    """Orphaned quarantine rows (per status) and checkpoints."""

    quarantine: dict[str, int]
    checkpoints: int

    @property
    def total(self) -> int:
        return sum(self.quarantine.values()) + self.checkpoints


class OrphanRepository:
    """
    Find and remove orphaned rows (see the module docstring).

    :param tx: A :class:`~airflow_errorguard.storage.database.Database` or a unit of work.
    """

    def __init__(self, tx: Transactional) -> None:
        self._tx = tx

    def _require_dag_run(self, conn: Connection) -> None:
        if not inspect(conn).has_table("dag_run"):
            raise ErrorGuardStorageConfigError(
                f"errorguard: no Airflow dag_run table next to errorguard's tables on connection "
                f"{self._tx.conn_id!r}: orphans can only be found when errorguard's tables are in "
                "Airflow's metadata database",
                conn_id=self._tx.conn_id,
            )

    def counts(self) -> OrphanCounts:
        """How many quarantine rows (per status) and checkpoints are orphaned."""
        with self._tx.transaction("counting orphaned rows", write=False) as conn:
            self._require_dag_run(conn)
            per_status = conn.execute(
                select(q.c.status, func.count()).where(quarantine_orphaned()).group_by(q.c.status)
            ).all()
            checkpoints = conn.execute(select(func.count()).select_from(c).where(checkpoint_orphaned()))
            return OrphanCounts({str(s): int(n) for s, n in per_status}, int(checkpoints.scalar_one()))

    def quarantine_rows(self, *, limit: int = 50) -> list[dict[str, Any]]:
        """The newest orphaned quarantine rows (id, DAG, task, run, key, status, created)."""
        columns = [q.c.id, q.c.dag_id, q.c.task_id, q.c.run_id, q.c.record_key, q.c.status, q.c.created_at]
        stmt = select(*columns).where(quarantine_orphaned()).order_by(q.c.id.desc()).limit(limit)
        with self._tx.transaction("listing orphaned quarantine rows", write=False) as conn:
            self._require_dag_run(conn)
            return [dict(m) for m in conn.execute(stmt).mappings()]

    def checkpoint_rows(self, *, limit: int = 50) -> list[dict[str, Any]]:
        """The most recently updated orphaned checkpoints (id, DAG, task, run, name, updated)."""
        columns = [c.c.id, c.c.dag_id, c.c.task_id, c.c.run_id, c.c.name, c.c.updated_at]
        stmt = select(*columns).where(checkpoint_orphaned()).order_by(c.c.updated_at.desc()).limit(limit)
        with self._tx.transaction("listing orphaned checkpoints", write=False) as conn:
            self._require_dag_run(conn)
            return [dict(m) for m in conn.execute(stmt).mappings()]

    def purge(self, *, older_than: datetime | None = None, actor: str = "errorguard") -> OrphanCounts:
        """
        Delete orphaned quarantine rows (any status) and checkpoints, only those not changed since
        *older_than* when given; one audit row records what was deleted. Returns the counts deleted.
        """
        q_where = [quarantine_orphaned()]
        c_where = [checkpoint_orphaned()]
        if older_than is not None:
            q_where += untouched_before(older_than)
            c_where.append(c.c.updated_at < older_than)
        deleted: dict[str, int] = {}
        with self._tx.transaction("purging orphaned rows") as conn:
            self._require_dag_run(conn)
            rollup.lock(conn, "quarantine")
            rows = conn.execute(
                select(q.c.id, q.c.status, q.c.created_at, q.c.signature_key).where(*q_where)
            ).all()
            for start in range(0, len(rows), _CHUNK):
                conn.execute(delete(q).where(q.c.id.in_([r[0] for r in rows[start : start + _CHUNK]])))
            rollup.refresh_hours(conn, "quarantine", [r[2] for r in rows])
            if rows:
                signatures.delete_unreferenced(conn, self._tx.clock())
            for _, status, _created, _signature in rows:
                deleted[str(status)] = deleted.get(str(status), 0) + 1
            checkpoints = conn.execute(delete(c).where(*c_where)).rowcount or 0
            result = OrphanCounts(deleted, int(checkpoints))
            if result.total:
                after = {
                    "quarantine": deleted,
                    "checkpoints": result.checkpoints,
                    "older_than": older_than.isoformat() if older_than else None,
                }
                insert_audit_rows(
                    conn,
                    [
                        audit_row(
                            entity="orphans",
                            entity_id="*",
                            action="purge",
                            actor=actor,
                            at=self._tx.clock(),
                            after=after,
                        )
                    ],
                )
        return result
