"""
``FileRecords``: input files (local paths or an object-storage listing) as guarded records, each
processed once per task.

Each record is a :class:`FileInput` (path, checksum, size; ``read_bytes()``, ``read_text()``,
``open()``). Files whose checksum an earlier run of the same task committed are skipped and
listed in the summary (``skipped_files``). A file is committed with the batch that consumed it:
its row in ``errorguard_committed_file`` is written in the same transaction as the batch's
quarantine rows and checkpoint advance, so a try killed between two files has committed exactly
the files before the last commit, and the next try (or run) processes the others.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.storage.committed_files import CommittedFile, FileScope
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.tables.column_types import KEY_LEN

_CHUNK = 1 << 20
#: Skipped files listed by path in the summary (the count is always complete).
MAX_LISTED_SKIPS = 1000


@dataclass(frozen=True)
class FileInput:
    """
    One input file.

    :param path: Local path, or URL of an object-storage file (``s3://bucket/key``, ``file:///...``).
    :param checksum: ``sha256:<hex>`` of its content when it was listed.
    :param size: Its size in bytes.
    :param conn_id: Connection of an object-storage URL (``None`` for a local path).
    """

    path: str
    checksum: str
    size: int
    conn_id: str | None = None

    def open(self, mode: str = "rb") -> IO[Any]:
        """The file opened (read-only modes)."""
        return _as_path(self.path, self.conn_id).open(mode)

    def read_bytes(self) -> bytes:
        with self.open("rb") as handle:
            return handle.read()

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)


def _as_path(value: Any, conn_id: str | None) -> Any:
    """A local :class:`~pathlib.Path`, or an ``ObjectStoragePath`` for a URL or one given."""
    if hasattr(value, "protocol") and hasattr(value, "fs"):
        return value
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if "://" in text:
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(text, conn_id=conn_id)
    return Path(text)


def _checksum(path: Any) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


class FileRecords:
    """
    The files under *paths* as :class:`FileInput` records, in path order, skipping the files an
    earlier run of the task committed (same checksum) and repeats of one content in the listing.

    :param paths: Files or directories: local paths, URLs (``s3://bucket/prefix/``, read through
        ``ObjectStoragePath`` with *conn_id*) or ``ObjectStoragePath`` objects. (templated)
    :param pattern: Glob of the files taken from a directory (default every file). (templated)
    :param recursive: Also look in subdirectories.
    :param name: Name of this source among the task's sources: committed files are kept per task
        and name, so renaming it (or another name) processes every file again.
    :param conn_id: Connection for URLs given as strings.
    """

    template_fields: Sequence[str] = ("paths", "pattern")

    def __init__(
        self,
        paths: Any,
        *,
        pattern: str = "*",
        recursive: bool = False,
        name: str = "files",
        conn_id: str | None = None,
    ) -> None:
        if isinstance(paths, (str, os.PathLike)) or hasattr(paths, "fs"):
            paths = [paths]
        if not isinstance(paths, Iterable) or not (paths := list(paths)):
            raise ErrorGuardConfigError(f"FileRecords paths must name files or directories, got {paths!r}")
        if not isinstance(pattern, str) or not pattern:
            raise ErrorGuardConfigError(
                f"FileRecords pattern must be a glob such as '*.csv', got {pattern!r}"
            )
        if not isinstance(name, str) or not name or len(name) > KEY_LEN:
            raise ErrorGuardConfigError(f"FileRecords name must have 1 to {KEY_LEN} characters, got {name!r}")
        self.paths = paths
        self.pattern = pattern
        self.recursive = recursive
        self.name = name
        self.conn_id = conn_id

    def __repr__(self) -> str:
        return f"FileRecords({self.paths!r}, pattern={self.pattern!r}, name={self.name!r})"

    def listing(self) -> list[tuple[str, Any]]:
        """``(path text, path object)`` of every file, sorted by path."""
        found: dict[str, Any] = {}
        for root in self.paths:
            path = _as_path(root, self.conn_id)
            if path.is_dir():
                matches = path.rglob(self.pattern) if self.recursive else path.glob(self.pattern)
                found.update((str(m), m) for m in matches if m.is_file())
            elif path.is_file():
                found[str(path)] = path
            else:
                raise FileNotFoundError(f"FileRecords: {root!s} is neither a file nor a directory")
        return sorted(found.items())

    def bind(self, store: Any) -> BoundFiles:
        """This source for one try of a guarded run committing through *store* (a ``SqlGuardStore``)."""
        return BoundFiles(self, store)

    def open(self, tracker: FileTracker) -> Iterator[FileInput]:
        """The files to process, in path order; skipped ones go to *tracker*."""
        files = [
            FileInput(text, _checksum(path), int(path.stat().st_size), self.conn_id)
            for text, path in self.listing()
        ]
        committed = tracker.lookup(file.checksum for file in files)
        seen: dict[str, str] = {}
        for file in files:
            done = committed.get(file.checksum)
            if done is not None:
                tracker.skip(file, done)
            elif file.checksum in seen:
                tracker.skip(file, CommittedFile(file.checksum, seen[file.checksum], run_id=tracker.run_id))
            else:
                seen[file.checksum] = file.path
                tracker.consumed(file)
                yield file


class FileTracker:
    """
    The files of one try: those it skipped, and those consumed but not yet committed (by
    position), which the store commits with the batch that consumed them.

    :param scope: The task and the source's name.
    :param identity: The try.
    :param lookup: ``lookup(checksums) -> {checksum: CommittedFile}`` of the committed ones.
    :param position: Records the run had committed when this try started.
    """

    def __init__(
        self,
        scope: FileScope,
        identity: TaskIdentity,
        lookup: Callable[[Iterable[str]], dict[str, CommittedFile]],
        position: int = 0,
    ) -> None:
        self.scope = scope
        self.identity = identity
        self.run_id = identity.run_id
        self.lookup = lookup
        self._next = position
        self._pending: list[tuple[int, CommittedFile]] = []
        self.skipped: list[dict[str, Any]] = []
        self.skipped_count = 0

    def consumed(self, file: FileInput) -> None:
        self._pending.append((self._next, CommittedFile(file.checksum, file.path, file.size)))
        self._next += 1

    def skip(self, file: FileInput, done: CommittedFile) -> None:
        if done.run_id == self.run_id and done.path == file.path:
            return  # committed by an earlier try of this run: counted in its summary already
        self.skipped_count += 1
        if len(self.skipped) < MAX_LISTED_SKIPS:
            self.skipped.append(
                {"path": file.path, "checksum": file.checksum, "committed_by": done.run_id, "as": done.path}
            )

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def until(self, position: int) -> list[CommittedFile]:
        """The consumed files before *position* (what a commit up to it commits)."""
        return [file for at, file in self._pending if at < position]

    def committed_until(self, position: int) -> None:
        self._pending = [(at, file) for at, file in self._pending if at >= position]


class BoundFiles:
    """
    A :class:`FileRecords` bound to a guarded run's store: the run's ``open_at(position)``, and
    the files it skipped (:meth:`report` adds them to the summary).
    """

    def __init__(self, records: FileRecords, store: Any) -> None:
        from airflow_errorguard.storage.committed_files import CommittedFileRepository

        self.records = records
        self.store = store
        self.scope = FileScope(store.identity.dag_id, store.identity.task_id, records.name)
        self._repository = CommittedFileRepository(store.database)
        self.tracker: FileTracker | None = None

    def __call__(self, position: int) -> Iterator[FileInput]:
        # Committed files are skipped by checksum: the position only numbers the new ones.
        scope, repository = self.scope, self._repository
        tracker = FileTracker(
            scope, self.store.identity, lambda sums: repository.committed(scope, sums), position
        )
        self.store.files = self.tracker = tracker
        return self.records.open(tracker)

    def report(self, summary: dict[str, Any]) -> dict[str, Any]:
        """*summary* with ``skipped`` (how many files) and ``skipped_files`` (the first 1,000)."""
        tracker = self.tracker
        summary["skipped"] = tracker.skipped_count if tracker is not None else 0
        summary["skipped_files"] = list(tracker.skipped) if tracker is not None else []
        return summary
