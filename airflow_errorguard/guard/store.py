"""
Where guarded processing keeps its progress: quarantine rows and the checkpoint, per batch.

:class:`GuardStore` is the interface the engine needs; :class:`SqlGuardStore` commits a batch's
quarantine rows and the checkpoint advance in one unit of work; :class:`MemoryGuardStore` is the
in-memory equivalent (tests, dry runs).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine_types import QuarantineItem

if TYPE_CHECKING:
    from airflow_errorguard.storage.checkpoint_writer import PinnedCheckpointWriter
    from airflow_errorguard.storage.database import Database
    from airflow_errorguard.storage.payload import PayloadPolicy
    from airflow_errorguard.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Progress:
    """A committed position: records consumed from the stream start, JSON state, version."""

    position: int = 0
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0


class TransactionalSink(abc.ABC):
    """
    A sink that writes each batch **inside** the store's transaction, so the batch's outputs, its
    quarantine rows and the checkpoint advance commit together or not at all (exactly-once when
    the sink's table lives in errorguard's database). See
    :class:`~airflow_errorguard.guard.sql_sink.SqlTableSink`.
    """

    @abc.abstractmethod
    def write(self, connection: Any, outputs: list[Any]) -> Sequence[QuarantineItem] | None:
        """
        Write *outputs* on *connection* (a SQLAlchemy ``Connection`` in a transaction); no commit.
        May return quarantine items for rows it rejected: they are stored in the same transaction.
        """


#: The progress to save, or a function of the rows the sink rejected giving it (a repeated unit
#: of work calls it again, so it must not change anything outside).
ProgressFor = Progress | Callable[[Sequence[QuarantineItem]], Progress]


def _settle(progress: ProgressFor, rejected: Sequence[QuarantineItem]) -> Progress:
    return progress if isinstance(progress, Progress) else progress(rejected)


class GuardStore(abc.ABC):
    """Loads the committed progress; commits one batch (quarantine rows + progress) atomically."""

    @abc.abstractmethod
    def load(self) -> Progress:
        """The last committed progress (position 0, version 0 when there is none)."""

    @abc.abstractmethod
    def commit(
        self,
        items: Sequence[QuarantineItem],
        progress: ProgressFor,
        expected_version: int,
        sink: TransactionalSink | None = None,
        outputs: list[Any] | None = None,
    ) -> int:
        """
        Store *items* (idempotently, by record key), *progress* and, with a transactional *sink*,
        the batch's *outputs* (and the rows the sink rejected) together, or nothing. Returns the
        new version.
        """

    def close(self) -> None:  # noqa: B027 - most stores hold nothing between commits
        """Release what the store keeps between commits (the run calls this when it ends)."""


class MemoryGuardStore(GuardStore):
    """In-memory store: quarantined items by key (first wins) and one progress value."""

    def __init__(self) -> None:
        self.items: dict[str, QuarantineItem] = {}
        self.progress = Progress()
        self.commits = 0

    def load(self) -> Progress:
        return self.progress

    def commit(
        self,
        items: Sequence[QuarantineItem],
        progress: ProgressFor,
        expected_version: int,
        sink: TransactionalSink | None = None,
        outputs: list[Any] | None = None,
    ) -> int:
        if expected_version != self.progress.version:
            raise RuntimeError(
                f"progress changed since it was read: expected {expected_version}, at {self.progress.version}"
            )
        rejected = list((sink.write(None, outputs) if sink is not None and outputs else None) or ())
        progress = _settle(progress, rejected)
        for item in [*items, *rejected]:
            self.items.setdefault(item.record_key, item)
        self.progress = Progress(progress.position, dict(progress.state), expected_version + 1)
        self.commits += 1
        return self.progress.version


class SqlGuardStore(GuardStore):
    """
    errorguard's tables: each commit is one unit of work (quarantine rows + checkpoint CAS),
    repeated on transient database failures. A batch that only advances the checkpoint (no
    quarantine rows, nothing for a transactional sink) takes the hot path: one compare-and-swap
    over a connection pinned for the run (:mod:`~airflow_errorguard.storage.checkpoint_writer`),
    falling back to the unit of work whenever that path is not sure it succeeded.

    :param database: The storage (``ErrorGuardHook().database``).
    :param identity: The task instance try quarantining records.
    :param checkpoint: The checkpoint key; ``None`` to keep no checkpoint (no resume).
    :param policy: Payload policy (``ErrorGuardHook().payload_policy``).
    """

    def __init__(
        self,
        database: Database,
        identity: TaskIdentity,
        checkpoint: CheckpointKey | None,
        policy: PayloadPolicy | None = None,
    ) -> None:
        self.database = database
        self.identity = identity
        self.key = checkpoint
        self.policy = policy
        self._version = 0
        self._writer: PinnedCheckpointWriter | None = None
        #: Input files consumed and not yet committed (a ``FileTracker`` of a file source): each
        #: commit records those before its position, in its own transaction.
        self.files: Any = None

    @classmethod
    def for_task(
        cls,
        context: Mapping[str, Any],
        conn_id: str = DEFAULT_CONN_ID,
        checkpoint: str | None = "default",
    ) -> SqlGuardStore:
        """
        The store of the running task instance, through connection *conn_id*.

        :param context: The task's context.
        :param conn_id: Connection to errorguard's tables.
        :param checkpoint: Checkpoint name (scoped to the task instance and run); ``None`` keeps
            no checkpoint (no resume).
        """
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook

        hook = ErrorGuardHook(errorguard_conn_id=conn_id)
        identity = TaskIdentity.from_context(context)
        key = None if checkpoint is None else CheckpointKey.for_task(identity, checkpoint, per_run=True)
        return cls(hook.database, identity, key, hook.payload_policy)

    def load(self) -> Progress:
        if self.key is None:
            return Progress(version=self._version)
        from airflow_errorguard.storage.checkpoints import CheckpointRepository

        found = CheckpointRepository(self.database).get(self.key)
        if found is None or found.position is None:
            return Progress()
        state = found.state if isinstance(found.state, dict) else {}
        return Progress(int(found.position), state, found.version)

    def commit(
        self,
        items: Sequence[QuarantineItem],
        progress: ProgressFor,
        expected_version: int,
        sink: TransactionalSink | None = None,
        outputs: list[Any] | None = None,
    ) -> int:
        from airflow_errorguard.storage.unit_of_work import run_in_unit_of_work

        key, files = self.key, self.files
        if (
            key is not None
            and expected_version
            and not items
            and not (sink is not None and outputs)
            and not (files is not None and files.has_pending)
        ):
            progress = _settle(progress, ())
            if self._writer is None:
                from airflow_errorguard.storage.checkpoint_writer import PinnedCheckpointWriter

                self._writer = PinnedCheckpointWriter(self.database, key)
            if self._writer.advance(
                state=progress.state,
                position=progress.position,
                expected_version=expected_version,
                updated_by=self._updated_by,
            ):
                self._version = expected_version + 1
                return self._version

        stored = list(items)
        reached = [0]

        def work(uow: UnitOfWork) -> int:
            rejected: Sequence[QuarantineItem] = ()
            if sink is not None and outputs:
                with uow.transaction("writing the batch to the sink") as conn:
                    rejected = sink.write(conn, outputs) or ()
            stored[:] = [*items, *rejected]
            if stored:
                uow.quarantine.add(self.identity, stored)
            settled = _settle(progress, rejected)
            reached[0] = settled.position
            if files is not None:
                uow.files.add(files.scope, self.identity, files.until(settled.position))
            if key is None:
                return expected_version + 1
            saved = uow.checkpoints.save(
                key,
                state=settled.state,
                position=settled.position,
                expected_version=expected_version,
                updated_by=self._updated_by,
            )
            return saved.version

        version = run_in_unit_of_work(self.database, work, policy=self.policy)
        self._version = version
        if files is not None:
            files.committed_until(reached[0])
        if stored:
            from airflow_errorguard import metrics

            metrics.records_quarantined(len(stored), dag_id=self.identity.dag_id)
        return version

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    @property
    def _updated_by(self) -> str:
        return f"try {self.identity.try_number}"
