"""
The guard's per-record steps (pure Python: no Airflow imports), mixed into
:class:`~airflow_errorguard.guard.engine.GuardedRun`.

A record that fails is classified (through the run's by-shape verdict memo) and recovered:
retried in-process, served by the fallback, quarantined, or turned into an alert. A record the
fallback served is noted for its batch's commit (its output may still be rejected at load). A data
error met before by message shape is quarantined at once, in the record loop itself: its item is built
from the remembered verdict (:class:`~airflow_errorguard.classification.verdict_shapes.Known`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification, ErrorAction, ErrorCategory
from airflow_errorguard.classification.verdict_shapes import VerdictMemo
from airflow_errorguard.exceptions import ErrorGuardAlert, ErrorGuardReschedule
from airflow_errorguard.guard.options import GuardOptions
from airflow_errorguard.guard.passes import BatchNotes, Replay
from airflow_errorguard.guard.summary import Tally
from airflow_errorguard.retry.runner import ATTEMPTS_ATTR, InProcessRetrier
from airflow_errorguard.storage.quarantine_types import QuarantineItem

log = logging.getLogger("airflow_errorguard.guard.engine")  # the engine's log, as before the split

#: ``_recover``'s answer for a record set aside (not an output).
QUARANTINED: Any = object()
_NOT_SERVED: Any = object()


class RecordSteps:
    """What :class:`~airflow_errorguard.guard.engine.GuardedRun` does with each record of a batch."""

    process: Callable[[Any], Any]
    options: GuardOptions
    classifier: Classifier
    scope: Mapping[str, Any] | None
    retrier: InProcessRetrier
    on_retried: Callable[[int], object] | None
    fallback: Callable[[Any], Any] | None
    _verdicts: VerdictMemo
    _waiting: ErrorGuardReschedule | None

    def _process_batch(
        self,
        batch: Iterable[Any],
        start: int,
        tally: Tally,
        notes: BatchNotes,
    ) -> tuple[list[Any], list[QuarantineItem]]:
        """
        Outputs and quarantine items of one batch (its records start at position *start*); what
        the batch's commit needs to know is noted in *notes*.
        """
        outputs: list[Any] = []
        bad: list[QuarantineItem] = []
        append, process = outputs.append, self.process
        lookup, scope, key_of = self._verdicts.lookup, self.scope, self.options.key_of
        item = QuarantineItem.from_exception
        skipped, served = notes.skipped, notes.served
        for record in batch:  # errors of the source itself propagate from here, unclassified
            try:  # free when nothing fails (zero-cost exceptions): no per-record bookkeeping
                append(process(record))
                continue
            except Exception as exc:
                failed = exc
            # Recovered outside the handler: a retry's own error must not carry this one as its
            # ``__context__`` (a data error on the retry would otherwise look transient).
            index = len(outputs) + len(bad)  # every record done so far left one entry
            try:
                verdict, message, known = lookup(failed, scope)
                if verdict is None:  # a data error met before (by message shape): quarantined as it was
                    bad.append(item(key_of(record, start + index), record, failed, known, message=message))
                    skipped.append(index)
                    continue
                output = self._recover(
                    failed, record, start + index, bad, tally, served=served, verdict=verdict, message=message
                )
            except ErrorGuardReschedule as waiting:
                self._waiting = waiting  # this record is not consumed: the batch ends before it
                break
            finally:
                del failed
            if output is not QUARANTINED:
                append(output)
            else:
                skipped.append(index)
        return outputs, bad

    def _recover(
        self,
        exc: Exception,
        record: Any,
        position: int,
        bad: list[QuarantineItem],
        tally: Tally,
        *,
        served: list[tuple[int, str]],
        verdict: Classification,
        message: str | None,
    ) -> Any:
        """The output for *record* that failed with *exc* (*verdict*), or :data:`QUARANTINED`."""
        if verdict.action is ErrorAction.RETRY:
            self._no_long_wait(verdict, record, position, exc)
            try:
                output, attempts = self.retrier.call_with_history(Replay(exc, self.process, record))
            except Exception as final:
                retried = max(0, len(getattr(final, ATTEMPTS_ATTR, ())) - 1)
                tally.retried_in_process += retried
                self._retried(retried)
                exc, verdict, message = final, self.classifier.classify(final, self.scope), None
                if verdict.action is ErrorAction.RETRY:
                    self._no_long_wait(verdict, record, position, exc)
                    output = self._fall_back(record, position, served)
                    if output is not _NOT_SERVED:
                        return output
                    log.warning(
                        "errorguard: record %s still failing after in-process retries (%s); "
                        "the batch stays uncommitted and the task fails for Airflow to retry",
                        self.options.key_of(record, position),
                        verdict.reason,
                    )
                    raise
            else:
                tally.retried_in_process += len(attempts)
                self._retried(len(attempts))
                return output
        if verdict.category is ErrorCategory.SYSTEM:
            output = self._fall_back(record, position, served)
            if output is not _NOT_SERVED:
                return output
        key = self.options.key_of(record, position)
        if verdict.action is ErrorAction.ALERT:
            raise ErrorGuardAlert(
                f"record {key}: {verdict.reason} ({verdict.category}); failing without retry",
                record_key=key,
                category=str(verdict.category),
            ) from exc
        bad.append(QuarantineItem.from_exception(key, record, exc, verdict, message=message))
        return QUARANTINED

    def _no_long_wait(self, verdict: Classification, record: Any, position: int, exc: Exception) -> None:
        """Raise :class:`ErrorGuardReschedule` when *verdict* asks for a wait above the threshold."""
        over, wait = self.options.reschedule_waits_over, verdict.retry_after
        if over is not None and wait is not None and wait > over:
            key = self.options.key_of(record, position)
            raise ErrorGuardReschedule(wait, record_key=key, reason=verdict.reason) from exc

    def _fall_back(self, record: Any, position: int, served: list[tuple[int, str]]) -> Any:
        """
        ``fallback(record)``, noted in *served* (counted when its batch commits); :data:`_NOT_SERVED`
        without a fallback or when it fails too.
        """
        if self.fallback is None:
            return _NOT_SERVED
        key = self.options.key_of(record, position)
        try:
            output = self.fallback(record)
        except Exception as err:
            log.warning(
                "errorguard: record %s: the fallback failed too (%r); the primary error stands", key, err
            )
            return _NOT_SERVED
        served.append((position, key))
        return output

    def _retried(self, count: int) -> None:
        if count and self.on_retried is not None:
            try:
                self.on_retried(count)
            except Exception as err:  # metrics never change the outcome
                log.debug("errorguard: on_retried failed: %r", err)
