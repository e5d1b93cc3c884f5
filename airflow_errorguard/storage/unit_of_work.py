"""
The unit of work: one transaction shared by every repository, committed together or not at all.

A task that processes a batch quarantines the batch's bad records and advances its checkpoint in
one unit of work, so a crash can never leave the checkpoint past records that were not
quarantined (nor quarantined records behind a checkpoint that did not move)::

    with hook.unit_of_work() as uow:
        uow.quarantine.add(identity, bad_records)
        current = uow.checkpoints.get(key, for_update=True)
        uow.checkpoints.save(key, state=..., position=..., expected_version=current.version if current else 0)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TypeVar

from sqlalchemy.engine import Connection, RootTransaction

from airflow_errorguard.exceptions import ErrorGuardStorageError
from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.checkpoints import CheckpointRepository
from airflow_errorguard.storage.committed_files import CommittedFileRepository
from airflow_errorguard.storage.database import Database, translate_errors
from airflow_errorguard.storage.events import ErrorEventRepository
from airflow_errorguard.storage.payload import PayloadPolicy
from airflow_errorguard.storage.quarantine import QuarantineRepository

log = logging.getLogger(__name__)
T = TypeVar("T")


class UnitOfWork:
    """
    Repositories sharing one transaction; use as a context manager.

    The transaction begins on entry (on SQLite it takes the write lock at once) and commits when
    the block exits normally. Any exception rolls everything back and propagates unchanged: the
    caller's own errors stay theirs; database failures are
    :class:`~airflow_errorguard.exceptions.ErrorGuardStorageError`.
    """

    def __init__(self, db: Database, policy: PayloadPolicy | None = None) -> None:
        self._db = db
        self.conn_id = db.conn_id
        self.backend = db.backend
        self.clock = db.clock
        self._conn: Connection | None = None
        self._txn: RootTransaction | None = None
        self.quarantine = QuarantineRepository(self, policy)
        self.checkpoints = CheckpointRepository(self)
        self.events = ErrorEventRepository(self)
        self.audit = AuditRepository(self)
        self.files = CommittedFileRepository(self)

    def __enter__(self) -> UnitOfWork:
        if self._conn is not None:
            raise RuntimeError("a UnitOfWork cannot be entered twice")
        with translate_errors(self.conn_id, self.backend, "starting a unit of work"):
            conn = self._db.engine.connect()
            try:
                self._txn = conn.begin()
            except BaseException:
                conn.close()
                raise
        self._conn = conn
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, txn = self._conn, self._txn
        self._conn = self._txn = None
        if conn is None or txn is None:
            return
        try:
            if exc is None:
                with translate_errors(self.conn_id, self.backend, "committing a unit of work"):
                    txn.commit()
            else:
                try:
                    txn.rollback()
                except Exception as err:  # the original error matters more
                    log.warning("errorguard: rollback after %s failed: %s", type(exc).__name__, err)
        finally:
            conn.close()

    @contextmanager
    def transaction(self, operation: str, *, write: bool = True) -> Iterator[Connection]:
        """The unit of work's connection (repositories call this; nothing commits here)."""
        if self._conn is None:
            raise RuntimeError("use the UnitOfWork as a context manager: `with hook.unit_of_work() as uow:`")
        with translate_errors(self.conn_id, self.backend, operation):
            yield self._conn


def run_in_unit_of_work(
    db: Database,
    work: Callable[[UnitOfWork], T],
    *,
    policy: PayloadPolicy | None = None,
    attempts: int = 3,
    backoff: float = 0.1,
) -> T:
    """
    Run ``work(uow)`` in a unit of work, again from the start (up to *attempts* times) when the
    database fails transiently (deadlock, serialization failure, lock timeout, lost connection).
    *work* must be safe to repeat: quarantine inserts are idempotent and a checkpoint save that
    already committed makes the repeat fail with a conflict rather than advance twice.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            with UnitOfWork(db, policy) as uow:
                return work(uow)
        except ErrorGuardStorageError as err:
            if not err.transient or attempt == attempts:
                raise
            log.warning("errorguard: unit of work attempt %d/%d failed, retrying: %s", attempt, attempts, err)
            time.sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
