"""
Replay of released quarantine rows through the guarded engine, each row exactly once.

:class:`ReplayStore` is the :class:`~airflow_errorguard.guard.store.GuardStore` of a replay: its
record source claims released rows batch by batch (:mod:`~airflow_errorguard.storage.replay_claims`),
and each engine commit settles the batch — successes to ``replayed``, records that failed again
(data errors, after classification and in-process retry) back to ``quarantined`` — in one
transaction with a :class:`~airflow_errorguard.guard.store.TransactionalSink`'s rows. The status is
the progress: there is no checkpoint, and a retry or another run simply claims what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_errorguard.guard.store import GuardStore, Progress, ProgressFor, TransactionalSink
from airflow_errorguard.storage.quarantine_types import QuarantineItem, QuarantineRow
from airflow_errorguard.storage.replay_claims import Claimant, ClaimLost, claim, release, settle

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from airflow_errorguard.storage.database import Database
    from airflow_errorguard.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
#: Failure messages kept in the replay's result.
MAX_FAILURE_MESSAGES = 100


class ReplayStore(GuardStore):
    """
    Claims released rows for the engine and settles each batch exactly once.

    :param database: errorguard's storage.
    :param claimant: Who replays (task instance, try, lease, audit actor).
    :param where: Extra filters on the rows to replay (DAG, task, run, fingerprint, ids).
    :param batch_size: Rows claimed at a time (the engine's batch size).
    """

    def __init__(
        self,
        database: Database,
        claimant: Claimant,
        where: Sequence[ColumnElement[bool]],
        batch_size: int,
    ) -> None:
        self.database = database
        self.claimant = claimant
        self.where = list(where)
        self.batch_size = batch_size
        self._handed: list[int] = []
        self._position = 0
        self._version = 0
        self.replayed = 0
        self.failed = 0
        self.lost = 0
        self.failures: dict[str, str] = {}

    def records(self, position: int = 0) -> Iterator[QuarantineRow]:
        """Released rows, claimed *batch_size* at a time as the engine asks for them."""
        while True:
            rows = claim(self.database, self.claimant, self.where, self.batch_size)
            if not rows:
                return
            for row in rows:
                self._handed.append(row.id)
                yield row

    def load(self) -> Progress:
        return Progress(version=self._version)

    def commit(
        self,
        items: Sequence[QuarantineItem],
        progress: ProgressFor,
        expected_version: int,
        sink: TransactionalSink | None = None,
        outputs: list[Any] | None = None,
    ) -> int:
        from airflow_errorguard.storage.unit_of_work import run_in_unit_of_work

        start = self._position
        self._position = settle_progress(progress, ()).position
        count = self._position - start
        batch, self._handed = self._handed[:count], self._handed[count:]

        def row_of(item: QuarantineItem) -> int:
            # Rows rejected by the sink are keyed by stream position; process failures by row id.
            key = item.record_key
            return batch[int(key.split(":", 1)[1]) - start] if key.startswith("position:") else int(key)

        def work(uow: UnitOfWork) -> tuple[list[int], dict[int, str]]:
            with uow.transaction("settling a replayed batch") as conn:
                rejected: Sequence[QuarantineItem] = ()
                if sink is not None and outputs:
                    rejected = sink.write(conn, outputs) or ()
                settle_progress(progress, rejected)
                failed = {row_of(item): _message(item) for item in [*items, *rejected]}
                replayed = [row_id for row_id in batch if row_id not in failed]
                settle(conn, self.claimant, uow.clock(), replayed, failed)
                return replayed, failed

        try:
            replayed, failed = run_in_unit_of_work(self.database, work)
        except ClaimLost as lost:
            self.lost += len(batch)
            log.warning(
                "errorguard replay: batch of %d rows not settled (%s); another run owns them now",
                len(batch),
                lost,
            )
        else:
            self._settled(replayed, failed)
        self._version = expected_version + 1
        return self._version

    def _settled(self, replayed: list[int], failed: dict[int, str]) -> None:
        from airflow_errorguard import metrics

        self.replayed += len(replayed)
        self.failed += len(failed)
        for row_id, message in failed.items():
            if len(self.failures) < MAX_FAILURE_MESSAGES:
                self.failures[str(row_id)] = message
        metrics.records_replayed(len(replayed), outcome="replayed")
        metrics.records_replayed(len(failed), outcome="requarantined")

    def close(self) -> None:
        """Give back the claims of rows not settled (the run failed mid-batch)."""
        try:
            released = release(self.database, self.claimant)
        except Exception as err:  # never mask the run's own exception; the lease frees them later
            log.warning("errorguard replay: could not release claims (%s); they expire with the lease", err)
            return
        if released:
            log.info("errorguard replay: released %d unsettled claims", released)


def settle_progress(progress: ProgressFor, rejected: Sequence[QuarantineItem]) -> Progress:
    """The engine's progress of a batch (a function of the rows the sink rejected, or a value)."""
    return progress if isinstance(progress, Progress) else progress(rejected)


def _message(item: QuarantineItem) -> str:
    kind = (item.error_type or "Exception").rsplit(".", 1)[-1]
    return f"{kind}: {item.error_message or ''}"[:2000]
