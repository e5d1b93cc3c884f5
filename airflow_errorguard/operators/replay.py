"""``QuarantineReplayOperator``: re-drive released quarantined records through a process and a sink."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_errorguard.compat import AirflowFailException
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import ErrorGuardAlert, ErrorGuardConfigError
from airflow_errorguard.guard.options import GuardOptions, default_in_process_retry
from airflow_errorguard.guard.store import TransactionalSink
from airflow_errorguard.task_context import task_ref

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_errorguard.classification.classifier import Classifier
    from airflow_errorguard.guard.replay import ReplayStore
    from airflow_errorguard.retry.backoff import Backoff
    from airflow_errorguard.storage.repositories import Repositories

#: How long a replay run's claim on a row lasts before another run may take the row over.
DEFAULT_CLAIM_LEASE = timedelta(minutes=30)


class QuarantineReplayOperator(BaseOperator):
    """
    Replay quarantined records in status ``released``, each exactly once even when replay runs
    overlap: rows are claimed a batch at a time, run through the guarded engine (``process(payload)``
    with classification and in-process retry of transient failures), and settled — successes to
    ``replayed``, records that fail again with a data error back to ``quarantined`` with the new
    error in the row's note, both audited — in one transaction per batch. With a
    :class:`~airflow_errorguard.guard.sql_sink.SqlTableSink` the sink rows commit in that same
    transaction (exactly once); any other ``sink(outputs, context)`` runs just before it
    (at-least-once: make it idempotent by the record's key). A still-transient failure fails the
    try (its batch stays ``released`` for the retry); a configuration error fails without retry.

    Returns (XCom) ``{"replayed": n, "failed": n, "batches": n, "retried_in_process": n,
    "lost_claims": n, "failures": {id: message}}`` (at most 100 failure messages); only rows this
    run actually moved are counted.

    :param process: ``process(payload) -> output``; *payload* is the stored record (decoded JSON).
    :param sink: ``sink(outputs, context)`` per batch, a ``SqlTableSink``, or ``None``.
    :param source_dag_id: Only rows of this DAG. (templated)
    :param source_task_id: Only rows of this task (needs ``source_dag_id``). (templated)
    :param source_run_id: Only rows of this run. (templated)
    :param fingerprint: Only rows with this failure fingerprint, or a unique prefix of it of at least 6
        characters (the short form the UI shows); an ambiguous or unknown one fails the task. (templated)
    :param ids: Only these row ids. (templated)
    :param batch_size: Rows per batch (1 to 1000).
    :param max_records_per_second: Rate limit; ``None`` for none.
    :param claim_lease: How long a claim lasts: rows claimed by a run that died are taken over
        after it (at once by the next try of the same task instance).
    :param in_process_retry: Backoff of in-process retries of transient failures.
    :param classifier: Classifier to use (default: the process default, with user rules).
    :param errorguard_conn_id: Connection to errorguard's tables.
    """

    template_fields: Sequence[str] = (
        "source_dag_id",
        "source_task_id",
        "source_run_id",
        "fingerprint",
        "ids",
    )

    def __init__(
        self,
        *,
        process: Callable[[Any], Any],
        sink: Callable[[list[Any], Any], object] | TransactionalSink | None = None,
        source_dag_id: str | None = None,
        source_task_id: str | None = None,
        source_run_id: str | None = None,
        fingerprint: str | None = None,
        ids: Sequence[int] | None = None,
        batch_size: int = 100,
        max_records_per_second: float | None = None,
        claim_lease: timedelta = DEFAULT_CLAIM_LEASE,
        in_process_retry: Backoff | None = None,
        classifier: Classifier | None = None,
        errorguard_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 1 <= batch_size <= 1000:
            raise ErrorGuardConfigError(f"{self.task_id}: batch_size must be 1 to 1000, got {batch_size!r}")
        if max_records_per_second is not None and max_records_per_second <= 0:
            raise ErrorGuardConfigError(
                f"{self.task_id}: max_records_per_second must be > 0, got {max_records_per_second!r}"
            )
        if not isinstance(claim_lease, timedelta) or claim_lease <= timedelta(0):
            raise ErrorGuardConfigError(
                f"{self.task_id}: claim_lease must be a positive timedelta, got {claim_lease!r}"
            )
        if not callable(process):
            raise ErrorGuardConfigError(f"{self.task_id}: process must be callable, got {process!r}")
        self.process = process
        self.sink = sink
        self.source_dag_id = source_dag_id
        self.source_task_id = source_task_id
        self.source_run_id = source_run_id
        self.fingerprint = fingerprint
        self.ids = ids
        self.batch_size = batch_size
        self.max_records_per_second = max_records_per_second
        self.claim_lease = claim_lease
        self.classifier = classifier
        self.errorguard_conn_id = errorguard_conn_id
        self.options = GuardOptions(
            batch_size=batch_size,
            in_process_retry=in_process_retry or default_in_process_retry(),
            checkpoint=False,
            record_key=_row_key,
        )

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_errorguard.guard.engine import GuardedRun
        from airflow_errorguard.guard.replay import ReplayStore
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook
        from airflow_errorguard.storage.replay_claims import Claimant

        hook = ErrorGuardHook(errorguard_conn_id=self.errorguard_conn_id)
        ref = task_ref(context)
        claimant = Claimant(
            holder=f"{ref.dag_id}/{ref.task_id}/{ref.run_id}/{ref.map_index}",
            try_number=int(ref.try_number),
            lease=self.claim_lease,
            actor=f"replay:{ref.dag_id}/{ref.task_id}/{ref.run_id}",
        )
        self.fingerprint = self._full_fingerprint(hook)
        store = ReplayStore(hook.database, claimant, self._where(), self.batch_size)
        process = self.process
        sink = self.sink
        run = GuardedRun(
            lambda row: process(row.payload_value()),
            store,
            self.options,
            sink=sink if isinstance(sink, TransactionalSink) else self._bound_sink(context),
            classifier=self.classifier,
            before_batch=self._throttle(store),
            on_retried=_count_in_process_retries,
        )
        try:
            summary = run.run(store.records)
        except (ErrorGuardAlert, ErrorGuardConfigError) as err:
            raise AirflowFailException(f"errorguard replay: {err}") from err
        result = {
            "replayed": store.replayed,
            "failed": store.failed,
            "batches": summary["batches"],
            "retried_in_process": summary["retried_in_process"],
            "lost_claims": store.lost,
            "failures": store.failures,
        }
        self.log.info(
            "errorguard replay: %d replayed, %d failed again, %d lost to another run, %d batches",
            store.replayed,
            store.failed,
            store.lost,
            summary["batches"],
        )
        return result

    def _full_fingerprint(self, hook: Repositories) -> str | None:
        """``fingerprint`` as stored: a unique prefix (the short form the UI shows) made whole."""
        from airflow_errorguard.storage.fingerprint_prefix import FingerprintLookupError, exact_fingerprint
        from airflow_errorguard.storage.quarantine_types import QuarantineFilter

        wanted = self.fingerprint
        if wanted is None:
            return None
        found = hook.quarantine.fingerprints_with_prefix(
            wanted, QuarantineFilter(dag_id=self.source_dag_id, task_id=self.source_task_id)
        )
        try:
            full = exact_fingerprint(wanted, found, where="of the source")
        except FingerprintLookupError as err:
            raise AirflowFailException(f"{self.task_id}: {err}") from None
        if full != wanted:
            self.log.info("errorguard replay: fingerprint prefix %s is %s", wanted, full)
        return full

    def _where(self) -> list[Any]:
        from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

        if self.source_task_id is not None and self.source_dag_id is None:
            raise AirflowFailException(f"{self.task_id}: source_task_id needs source_dag_id")
        where: list[Any] = []
        for column, value in (
            ("dag_id", self.source_dag_id),
            ("task_id", self.source_task_id),
            ("run_id", self.source_run_id),
            ("fingerprint", self.fingerprint),
        ):
            if value is not None:
                where.append(q.c[column] == value)
        if self.ids is not None:
            where.append(q.c.id.in_(sorted({int(i) for i in self.ids})))
        return where

    def _bound_sink(self, context: Context) -> Callable[[list[Any]], object]:
        sink = self.sink
        if sink is None:
            return lambda outputs: None
        assert callable(sink)
        return lambda outputs: sink(outputs, context)

    def _throttle(self, store: ReplayStore) -> Callable[[], None] | None:
        rate = self.max_records_per_second
        if rate is None:
            return None
        started = time.monotonic()

        def wait() -> None:
            done = store.replayed + store.failed + store.lost
            ahead = done / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)

        return wait


def _row_key(row: Any) -> int:
    return int(row.id)


def _count_in_process_retries(count: int) -> None:
    from airflow_errorguard import metrics

    metrics.in_process_retry("transient", count)
