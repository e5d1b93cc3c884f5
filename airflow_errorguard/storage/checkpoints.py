"""
Checkpoint repository: how far a task got, saved with compare-and-swap on ``version``.

A checkpoint's version starts at 1 and grows by one on every save. :meth:`CheckpointRepository.save`
takes the version the caller read (``0`` for "must not exist yet") and fails with
:class:`~airflow_errorguard.exceptions.ErrorGuardCheckpointConflict` if someone else saved in
between, so no update is ever lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, select, update

from airflow_errorguard.exceptions import ErrorGuardCheckpointConflict
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.payload import clean_text
from airflow_errorguard.storage.tables.checkpoint import checkpoint_table as c
from airflow_errorguard.storage.tables.column_types import ID_LEN, KEY_LEN
from airflow_errorguard.storage.upsert import insert_ignoring_duplicates


@dataclass(frozen=True)
class CheckpointKey:
    """
    Which checkpoint: a *name* within a scope. Empty ``dag_id``/``task_id``/``run_id`` (and
    ``map_index`` -1) widen the scope; all empty is a free, global key.
    """

    name: str
    dag_id: str = ""
    task_id: str = ""
    run_id: str = ""
    map_index: int = -1

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > KEY_LEN:
            raise ValueError(f"checkpoint name must have 1 to {KEY_LEN} characters, got {self.name!r}")
        for part in ("dag_id", "task_id", "run_id"):
            if len(getattr(self, part)) > ID_LEN:
                raise ValueError(
                    f"checkpoint {part} longer than {ID_LEN} characters: {getattr(self, part)!r}"
                )
        if self.task_id and not self.dag_id:
            raise ValueError(f"checkpoint {self.name!r}: task_id {self.task_id!r} needs a dag_id")

    @classmethod
    def for_task(
        cls, identity: TaskIdentity, name: str = "default", *, per_run: bool = False
    ) -> CheckpointKey:
        """The task's checkpoint *name*: shared by all runs (default) or private to this run."""
        return cls(
            name=name,
            dag_id=identity.dag_id,
            task_id=identity.task_id,
            run_id=identity.run_id if per_run else "",
            map_index=identity.map_index,
        )

    def __str__(self) -> str:
        scope = "/".join(p for p in (self.dag_id, self.task_id, self.run_id) if p)
        mapped = f"[{self.map_index}]" if self.map_index >= 0 else ""
        return f"{scope}{mapped}:{self.name}" if scope else self.name

    def where(self) -> ColumnElement[bool]:
        return (
            (c.c.dag_id == self.dag_id)
            & (c.c.task_id == self.task_id)
            & (c.c.run_id == self.run_id)
            & (c.c.map_index == self.map_index)
            & (c.c.name == self.name)
        )

    def params(self) -> dict[str, Any]:
        """Bound values of :data:`_KEY_MATCH` for this key."""
        return {
            "k_dag_id": self.dag_id,
            "k_task_id": self.task_id,
            "k_run_id": self.run_id,
            "k_map_index": self.map_index,
            "k_name": self.name,
        }


# Built once: a save is on the hot path of guarded processing (one per batch), and building the
# expression costs more than executing its cached compiled form.
_KEY_MATCH = (
    (c.c.dag_id == bindparam("k_dag_id"))
    & (c.c.task_id == bindparam("k_task_id"))
    & (c.c.run_id == bindparam("k_run_id"))
    & (c.c.map_index == bindparam("k_map_index"))
    & (c.c.name == bindparam("k_name"))
)
UPDATE_AT_VERSION = (
    update(c)
    .where(_KEY_MATCH, c.c.version == bindparam("k_version"))
    .values(
        state=bindparam("new_state"),
        position=bindparam("new_position"),
        version=bindparam("new_version"),
        updated_at=bindparam("new_updated_at"),
        updated_by=bindparam("new_updated_by"),
    )
)
_UPDATE_AT_VERSION_RETURNING = UPDATE_AT_VERSION.returning(c.c.created_at)
_CREATED_AT = select(c.c.created_at).where(_KEY_MATCH)


@dataclass(frozen=True)
class Checkpoint:
    """A stored checkpoint; ``state`` is the decoded JSON value."""

    key: CheckpointKey
    state: Any
    position: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


def encode_state(key: CheckpointKey, state: Any) -> str:
    try:
        return json.dumps(state, allow_nan=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise ValueError(f"checkpoint {key}: state must be JSON-serialisable: {err}") from err


def _checkpoint(m: Any) -> Checkpoint:
    return Checkpoint(
        key=CheckpointKey(m["name"], m["dag_id"], m["task_id"], m["run_id"], m["map_index"]),
        state=None if m["state"] is None else json.loads(m["state"]),
        position=m["position"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        updated_by=m["updated_by"],
    )


class CheckpointRepository:
    """The ``errorguard_checkpoint`` table."""

    def __init__(self, tx: Transactional) -> None:
        self._tx = tx

    def get(self, key: CheckpointKey, *, for_update: bool = False) -> Checkpoint | None:
        """
        The checkpoint, or ``None``. *for_update* locks the row until the surrounding unit of
        work ends (PostgreSQL/MySQL; SQLite already serialises writers).
        """
        stmt = select(c).where(key.where())
        if for_update:
            stmt = stmt.with_for_update()
        with self._tx.transaction(f"reading checkpoint {key}", write=for_update) as conn:
            found = conn.execute(stmt).mappings().first()
        return None if found is None else _checkpoint(found)

    def save(
        self,
        key: CheckpointKey,
        *,
        state: Any,
        expected_version: int,
        position: str | int | None = None,
        updated_by: str | None = None,
    ) -> Checkpoint:
        """
        Store *state* (JSON) and *position* if the checkpoint is still at *expected_version*
        (``0``: it must not exist yet). Returns the checkpoint at its new version.

        :raises ErrorGuardCheckpointConflict: someone saved since (or the checkpoint exists).
        """
        if expected_version < 0:
            raise ValueError(f"checkpoint {key}: expected_version must be >= 0, got {expected_version}")
        text = encode_state(key, state)
        pos = clean_text(position, 1024)
        by = clean_text(updated_by, 250)
        now = self._tx.clock()
        with self._tx.transaction(f"saving checkpoint {key}") as conn:
            if expected_version == 0:
                values = {
                    "dag_id": key.dag_id,
                    "task_id": key.task_id,
                    "run_id": key.run_id,
                    "map_index": key.map_index,
                    "name": key.name,
                    "state": text,
                    "position": pos,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "updated_by": by,
                }
                stmt = insert_ignoring_duplicates(c, conn.dialect.name)
                if conn.dialect.insert_returning:  # rowcount is unreliable with implicit RETURNING
                    done = int(conn.execute(stmt.returning(c.c.id), values).first() is not None)
                else:
                    done = conn.execute(stmt, values).rowcount
                created_at: datetime | None = now
            else:
                params = key.params() | {
                    "k_version": expected_version,
                    "new_state": text,
                    "new_position": pos,
                    "new_version": expected_version + 1,
                    "new_updated_at": now,
                    "new_updated_by": by,
                }
                if conn.dialect.update_returning:  # one round trip instead of UPDATE + SELECT
                    row = conn.execute(_UPDATE_AT_VERSION_RETURNING, params).first()
                    done, created_at = (0, None) if row is None else (1, row[0])
                else:
                    done = conn.execute(UPDATE_AT_VERSION, params).rowcount
                    created_at = None
            if done != 1:
                actual = conn.execute(select(c.c.version).where(key.where())).scalar_one_or_none()
                raise ErrorGuardCheckpointConflict(
                    f"checkpoint {key} on connection {self._tx.conn_id!r}: expected version "
                    f"{expected_version}, found {actual if actual is not None else 'no checkpoint'}",
                    conn_id=self._tx.conn_id,
                    expected=expected_version,
                    actual=actual,
                )
            if created_at is None:
                created_at = conn.execute(_CREATED_AT, key.params()).scalar_one()
        return Checkpoint(key, json.loads(text), pos, expected_version + 1, created_at, now, by)

    def update(
        self,
        key: CheckpointKey,
        change: Callable[[Checkpoint | None], tuple[Any, str | int | None]],
        *,
        attempts: int = 10,
        updated_by: str | None = None,
    ) -> Checkpoint:
        """
        Read-modify-write with retries: ``change(current) -> (state, position)`` is called again
        with the fresh checkpoint whenever another writer won the race (at most *attempts* times).
        """
        for attempt in range(1, attempts + 1):
            current = self.get(key)
            state, position = change(current)
            try:
                return self.save(
                    key,
                    state=state,
                    position=position,
                    expected_version=current.version if current else 0,
                    updated_by=updated_by,
                )
            except ErrorGuardCheckpointConflict:
                if attempt == attempts:
                    raise
                time.sleep(min(0.001 * 2**attempt, 0.05))
        raise AssertionError("unreachable")  # pragma: no cover

    def delete(self, key: CheckpointKey, *, expected_version: int | None = None) -> bool:
        """Delete the checkpoint (only at *expected_version* when given); whether a row went."""
        stmt = delete(c).where(key.where())
        if expected_version is not None:
            stmt = stmt.where(c.c.version == expected_version)
        with self._tx.transaction(f"deleting checkpoint {key}") as conn:
            return bool(conn.execute(stmt).rowcount)

    def find(
        self, *, dag_id: str | None = None, task_id: str | None = None, limit: int = 100
    ) -> list[Checkpoint]:
        """Checkpoints of a DAG (and task), most recently updated first."""
        stmt = select(c).order_by(c.c.updated_at.desc(), c.c.id.desc()).limit(limit)
        if dag_id is not None:
            stmt = stmt.where(c.c.dag_id == dag_id)
        if task_id is not None:
            stmt = stmt.where(c.c.task_id == task_id)
        with self._tx.transaction("listing checkpoints", write=False) as conn:
            return [_checkpoint(m) for m in conn.execute(stmt).mappings()]
