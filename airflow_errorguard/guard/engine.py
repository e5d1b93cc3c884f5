"""
The guarded processing engine (pure Python: no Airflow imports).

Per record (:mod:`~airflow_errorguard.guard.records`): ``process(record)``; a failure is classified and

* ``retry`` → retried in-process with ``in_process_retry``; still failing → the batch stops
  **uncommitted** and the original exception propagates (Airflow's retry takes over). A wait
  asked for (``Retry-After``) above ``reschedule_waits_over`` is not slept: the batch so far is
  committed and :class:`~airflow_errorguard.exceptions.ErrorGuardReschedule` is raised;
* ``quarantine`` → the record is set aside with its classification and the batch goes on;
* ``alert`` → :class:`~airflow_errorguard.exceptions.ErrorGuardAlert` at once (no retry).

With a ``fallback``, a record whose transient error outlived its in-process retries, or whose
error is a system one, is served by ``fallback(record)`` instead (counted in the summary as
served, unless the sink then rejects that output: a record is counted once, as quarantined).

Per batch: ``sink(outputs)``, then one commit of the batch's quarantine rows and the checkpoint
advance. When the sink rejects the batch with a data error, the rows it rejects are isolated by
bisection (:mod:`~airflow_errorguard.guard.bisection`) and quarantined with the same commit.
On the next try, processing resumes after the last committed batch. After each commit the error
budget is checked; a breach raises
:class:`~airflow_errorguard.exceptions.ErrorGuardBudgetExceeded` with the summary.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.defaults import get_default_classifier
from airflow_errorguard.classification.verdict_shapes import VerdictMemo
from airflow_errorguard.exceptions import (
    ErrorGuardBudgetExceeded,
    ErrorGuardConfigError,
    ErrorGuardReschedule,
)
from airflow_errorguard.guard.bisection import (
    IsolatingSink,
    fallback_outputs,
    isolate,
    output_keys,
    rejected_items,
)
from airflow_errorguard.guard.options import MAX_RETURNED_OUTPUTS, GuardOptions
from airflow_errorguard.guard.passes import BatchNotes, Pass
from airflow_errorguard.guard.records import RecordSteps
from airflow_errorguard.guard.store import GuardStore, Progress, ProgressFor, TransactionalSink
from airflow_errorguard.guard.summary import Tally
from airflow_errorguard.retry.runner import InProcessRetrier
from airflow_errorguard.storage.quarantine_types import QuarantineItem

log = logging.getLogger(__name__)

#: ``open_at(position) -> records from that position on`` (position: records already consumed).
Source = Callable[[int], Iterable[Any]]
Sink = Callable[[list[Any]], object] | TransactionalSink


class GuardedRun(RecordSteps):
    """
    One guarded pass over a record stream.

    :param process: ``process(record) -> output``.
    :param store: Where progress and quarantined records are committed.
    :param options: Batch size, budget, in-process retry, record key.
    :param sink: ``sink(outputs)`` per batch, or a :class:`TransactionalSink` written in the same
        transaction as the batch's commit (exactly-once); without one, outputs are kept in the
        checkpoint state (at most :data:`MAX_RETURNED_OUTPUTS`) and returned under ``outputs``.
    :param classifier: Classifier (default: the process default, with user rules).
    :param scope: The task's context (or ``{"dag_id", "task_id"}``): rules scoped to a DAG or task
        apply to its records.
    :param sleep: Blocking sleep used by in-process retries (inject a fake in tests).
    :param clock: Monotonic clock for the duration.
    :param on_retried: Called with the number of in-process retries of a record (for metrics).
    :param fallback: ``fallback(record) -> output`` for a record whose primary call failed with a
        transient error after its in-process retries, or with a system error (a cached value, a
        secondary endpoint); when it fails too, the primary error stands.
    :param before_batch: Called before each batch is read (e.g. a circuit-breaker check that
        raises to stop the run); nothing of that batch has been consumed yet.
    :param on_finish: Called once when the run ends: with ``None`` after a success, with the
        exception otherwise (which then propagates unchanged; a failing ``on_finish`` is logged
        and never masks it).
    """

    def __init__(
        self,
        process: Callable[[Any], Any],
        store: GuardStore,
        options: GuardOptions | None = None,
        *,
        sink: Sink | None = None,
        classifier: Classifier | None = None,
        scope: Mapping[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        before_batch: Callable[[], None] | None = None,
        on_retried: Callable[[int], object] | None = None,
        on_finish: Callable[[BaseException | None], object] | None = None,
        fallback: Callable[[Any], Any] | None = None,
    ) -> None:
        self.process = process
        self.store = store
        self.options = options or GuardOptions()
        self.sink = sink
        self.classifier = classifier or get_default_classifier()
        self._verdicts = VerdictMemo(self.classifier)  # a bad record's verdict, by message shape
        self.scope = scope
        self.retrier = InProcessRetrier(
            self.options.in_process_retry, self.classifier, sleep=sleep, scope=scope
        )
        self.clock = clock
        self.before_batch = before_batch
        self.on_retried = on_retried
        self.on_finish = on_finish
        self.fallback = fallback
        self._waiting: ErrorGuardReschedule | None = None  # a record asked for a long wait

    def run(self, open_at: Source) -> dict[str, Any]:
        """Process the stream from the committed position on; return the summary."""
        try:
            summary = self._run(open_at)
        except BaseException as exc:
            self._finished(exc)
            raise
        self._finished(None)
        return summary

    def _finished(self, exc: BaseException | None) -> None:
        if self.on_finish is None:
            return
        try:
            self.on_finish(exc)
        except Exception as err:  # the run's own outcome wins
            log.warning("errorguard: on_finish failed: %r", err)

    def _run(self, open_at: Source) -> dict[str, Any]:
        progress = self.store.load()
        run = Pass(
            tally=Tally.from_state(progress.state),
            kept=list(progress.state.get("outputs") or []) if self.sink is None else [],
            resumed_from=progress.position,
            start=self.clock(),
            version=progress.version,
        )
        if run.resumed_from:
            log.info(
                "errorguard: resuming after %d records (checkpoint v%d)", run.resumed_from, progress.version
            )
        try:
            self._run_batches(open_at, run, progress.position)
        finally:
            self.store.close()
        summary = run.tally.summary(
            resumed_from=run.resumed_from, duration=self.clock() - run.start, status="success"
        )
        if self.sink is None:
            summary["outputs"] = run.kept
        return summary

    def _run_batches(self, open_at: Source, run: Pass, position: int) -> None:
        records = iter(open_at(position))
        batch_size = self.options.batch_size
        while True:
            if self.before_batch is not None:
                self.before_batch()
            notes = BatchNotes()
            outputs, bad = self._process_batch(
                itertools.islice(records, batch_size), position, run.tally, notes
            )
            count = len(outputs) + len(bad)
            waiting, self._waiting = self._waiting, None
            if count:
                self._commit(run, outputs, bad, position, notes)
                position += count
            if waiting is not None:
                log.info("errorguard: committed up to record %d; %s", position, waiting)
                raise waiting
            if not count:
                break
            # Free this batch before the next one is built, so it reuses the memory while the
            # CPU caches still hold it (measurably faster than holding two batches at a time).
            del outputs, bad
            if count < batch_size:
                break

    # -- per batch ----------------------------------------------------------------------------

    def _commit(
        self, run: Pass, outputs: list[Any], bad: list[QuarantineItem], start: int, notes: BatchNotes
    ) -> None:
        """Hand the batch (records from *start* on) to the sink and commit it with its checkpoint."""
        kept, sink, isolating = run.kept, self.sink, self.options.isolate_sink_errors
        skipped, served = notes.skipped, notes.served
        fallbacks = fallback_outputs(served, outputs, self.options, start, skipped) if served else ()
        position = start + len(outputs) + len(bad)
        in_transaction: TransactionalSink | None = None
        at_load: list[QuarantineItem] = []
        if isinstance(sink, TransactionalSink):
            # Written by the store, in the same transaction as the checkpoint.
            in_transaction = (
                IsolatingSink(sink, self.classifier, output_keys(self.options, start, skipped))
                if isolating
                else sink
            )
        elif sink is not None:
            if outputs and isolating:
                name = getattr(sink, "__qualname__", None) or type(sink).__qualname__
                isolation = isolate(sink, outputs, self.classifier, sink_name=f"sink {name}")
                keys = output_keys(self.options, start, skipped)
                at_load = rejected_items(isolation, outputs, keys, sink_name=f"sink {name}")
            elif outputs:
                sink(outputs)
        else:
            kept.extend(outputs)
            if len(kept) > MAX_RETURNED_OUTPUTS:
                raise ErrorGuardConfigError(
                    f"{len(kept)} outputs and no sink: at most {MAX_RETURNED_OUTPUTS} outputs are returned "
                    "through XCom; give the guard a sink"
                )
        base = run.tally
        counted: list[Tally] = []

        def progress_for(rejected: Sequence[QuarantineItem]) -> Progress:
            # The store may call this again (a repeated unit of work): count from the batch's start.
            again = counted or isinstance(in_transaction, IsolatingSink)
            tally = Tally.from_state(base.to_state()) if again else base
            tally.add_batch(outputs, bad, [*at_load, *rejected], fallbacks)
            counted[:] = [tally]
            state = tally.to_state()
            if self.sink is None:
                state["outputs"] = kept
            return Progress(position, state)

        deferred = isinstance(in_transaction, IsolatingSink)
        progress: ProgressFor = progress_for if deferred else progress_for(())
        if in_transaction is None:
            run.version = self.store.commit([*bad, *at_load], progress, run.version)
        else:
            run.version = self.store.commit(bad, progress, run.version, sink=in_transaction, outputs=outputs)
        run.tally = tally = counted[-1]
        breach = tally.budget_breach(self.options)
        if breach is not None:
            summary = tally.summary(
                resumed_from=run.resumed_from, duration=self.clock() - run.start, status="failed"
            )
            raise ErrorGuardBudgetExceeded(f"error budget exceeded: {breach}", summary=summary)
