"""
Committed input files of a task, by checksum: what file-level idempotency skips on later runs.

Rows are written in the unit of work that commits the batch that consumed the files (with its
quarantine rows and its checkpoint advance), so a file is committed exactly when its outputs
are. The key is the task (all its runs and map indexes), the source's name and the content's
checksum: the same bytes under another name are the same input, a changed file is a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from airflow_errorguard.exceptions import ErrorGuardStorageError
from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.payload import clean_text
from airflow_errorguard.storage.tables.column_types import KEY_LEN
from airflow_errorguard.storage.tables.committed_file import CHECKSUM_LEN, PATH_LEN
from airflow_errorguard.storage.tables.committed_file import committed_file_table as f

#: Checksums looked up per query (bound parameters stay well under every backend's limit).
_CHUNK = 500


@dataclass(frozen=True)
class FileScope:
    """Whose committed files: a task and the name of its file source."""

    dag_id: str
    task_id: str
    source: str = "files"

    def __post_init__(self) -> None:
        if not self.source or len(self.source) > KEY_LEN:
            raise ValueError(f"file source name must have 1 to {KEY_LEN} characters, got {self.source!r}")

    def where(self) -> list[Any]:
        return [f.c.dag_id == self.dag_id, f.c.task_id == self.task_id, f.c.source == self.source]


@dataclass(frozen=True)
class CommittedFile:
    """One committed input file: its checksum, where it was, and which run and try committed it."""

    checksum: str
    path: str
    size: int | None = None
    run_id: str = ""
    try_number: int = 0
    committed_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.checksum or len(self.checksum) > CHECKSUM_LEN:
            raise ValueError(f"file checksum must have 1 to {CHECKSUM_LEN} characters, got {self.checksum!r}")


class CommittedFileRepository:
    """The ``errorguard_committed_file`` table."""

    def __init__(self, tx: Transactional) -> None:
        self._tx = tx

    def committed(self, scope: FileScope, checksums: Iterable[str]) -> dict[str, CommittedFile]:
        """The committed files among *checksums*, by checksum."""
        wanted = list(dict.fromkeys(checksums))
        found: dict[str, CommittedFile] = {}
        columns = (f.c.checksum, f.c.path, f.c.size, f.c.run_id, f.c.try_number, f.c.committed_at)
        with self._tx.transaction("reading committed input files", write=False) as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                stmt = select(*columns).where(*scope.where(), f.c.checksum.in_(chunk))
                for row in conn.execute(stmt).mappings():
                    found[row["checksum"]] = CommittedFile(**dict(row))
        return found

    def add(self, scope: FileScope, identity: TaskIdentity, files: Sequence[CommittedFile]) -> int:
        """
        Record *files* as committed by *identity*'s try (in the caller's transaction). A file
        another run committed meanwhile raises a non-transient storage error: the caller's unit
        of work rolls back (its outputs with it) and the next try skips the file.
        """
        if not files:
            return 0
        now = self._tx.clock()
        rows = [
            {
                "dag_id": scope.dag_id,
                "task_id": scope.task_id,
                "source": scope.source,
                "checksum": file.checksum,
                "path": clean_text(file.path, PATH_LEN) or "?",
                "size": file.size,
                "run_id": identity.run_id,
                "map_index": identity.map_index,
                "try_number": identity.try_number,
                "committed_at": now,
            }
            for file in files
        ]
        try:
            with self._tx.transaction(f"recording {len(rows)} committed input files") as conn:
                conn.execute(f.insert(), rows)
        except ErrorGuardStorageError as err:
            if isinstance(err.__cause__, IntegrityError):
                raise ErrorGuardStorageError(
                    f"{scope.dag_id}.{scope.task_id}: an input file of this batch was committed by another "
                    f"run of the task meanwhile (source {scope.source!r}); the batch is rolled back and the "
                    "next try skips the file",
                    conn_id=self._tx.conn_id,
                ) from err
            raise
        return len(rows)

    def forget(self, scope: FileScope, checksums: Iterable[str] | None = None) -> int:
        """Forget committed files (the whole scope without *checksums*): the next run processes them."""
        stmt = delete(f).where(*scope.where())
        if checksums is not None:
            stmt = stmt.where(f.c.checksum.in_(list(checksums)))
        with self._tx.transaction(
            f"forgetting committed input files of {scope.dag_id}.{scope.task_id}"
        ) as conn:
            return max(conn.execute(stmt).rowcount, 0)
