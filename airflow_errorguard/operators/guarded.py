"""``GuardedOperator``: process records one by one, quarantining bad ones, resuming from checkpoints."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.task_scope import task_classifier
from airflow_errorguard.compat import HAS_NATIVE_RETRY_POLICY, AirflowFailException
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import (
    ErrorGuardAlert,
    ErrorGuardBudgetExceeded,
    ErrorGuardConfigError,
    ErrorGuardReschedule,
)
from airflow_errorguard.guard.engine import GuardedRun
from airflow_errorguard.guard.options import GuardOptions, RecordKey, default_in_process_retry
from airflow_errorguard.guard.store import SqlGuardStore, TransactionalSink
from airflow_errorguard.sources.files import BoundFiles, FileRecords
from airflow_errorguard.sources.sql import SqlRecords

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_errorguard.circuits.outcomes import RunCircuitCheck
    from airflow_errorguard.classification.classifier import Classifier

RecordSource = Iterable[Any] | Callable[[Any, int], Iterable[Any]] | SqlRecords | FileRecords


class _SourceCallable:
    """Holds a ``(context, position)`` source: Airflow would call a callable template field."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any, int], Iterable[Any]]) -> None:
        self.fn = fn

    def __repr__(self) -> str:
        return f"<records from {getattr(self.fn, '__qualname__', self.fn)!r}>"


class GuardedOperator(BaseOperator):
    """
    Run ``process`` on every record; transient failures are retried in-process, bad records are
    quarantined, each batch goes to ``sink`` and is committed with its quarantine rows and the
    checkpoint advance in one transaction; a retry resumes after the last committed batch.

    Returns (XCom) a summary: processed, succeeded, quarantined, retried_in_process,
    resumed_from, batches, duration_s, by_category, top_fingerprints (and ``outputs`` without a
    sink). See ``docs/guarded-processing.md`` for the exact semantics.

    :param records: An iterable, an ``XComArg``, a callable ``(context, position) -> iterable``
        yielding the records from *position* (records already committed) on, or
        :class:`~airflow_errorguard.sources.SqlRecords` (a query on a common-sql connection), or
        :class:`~airflow_errorguard.sources.FileRecords` (input files, each processed once per task:
        files an earlier run committed are skipped and listed under ``skipped_files``). (templated)
    :param process: ``process(record) -> output``.
    :param sink: ``sink(outputs, context)`` per batch; should be idempotent by key (a crash
        between sink and commit replays one batch). Or
        :class:`~airflow_errorguard.guard.sql_sink.SqlTableSink`: written in the batch's own
        transaction, exactly once. Without one, at most 10,000 outputs are returned.
    :param record_key: Field name or callable giving a record's key; default: its position
        (a file's path for ``FileRecords``).
    :param batch_size: Records per batch (one sink call and one commit).
    :param max_quarantine_ratio: Fail (without retry) when quarantined / processed exceeds it.
    :param max_quarantined: Fail (without retry) when more records are quarantined.
    :param in_process_retry: Backoff of in-process retries of transient failures.
    :param checkpoint: Commit the position per batch and resume from it on retry.
    :param fallback: ``fallback(record) -> output`` serving a record whose call failed with a
        transient error after its in-process retries, or with a system error (a cached value, a
        secondary endpoint); the summary counts them (``served_by_fallback``, ``fallback_keys``).
    :param reschedule_waits_over: A transient failure asking to wait (``Retry-After``) longer than
        this does not sleep in the worker slot: the batch so far is committed and the task is
        rescheduled to the retry time (no retry used); it resumes from the checkpoint. ``None``
        always waits in-process.
    :param isolate_sink_errors: When the sink rejects a batch with a data error (a constraint
        violation, an overflow, an invalid date), find the rejected rows by bisection, quarantine
        them with the database's error and load the rest (default); ``False`` fails the batch.
    :param circuit: A circuit breaker (name or :class:`~airflow_errorguard.breaker.config.Circuit`)
        checked before each batch; the run's outcome is recorded in it.
    :param on_circuit_open: While the circuit is open: ``"reschedule"`` the task to the next probe
        (no retry used, no worker slot held) or ``"fail"`` with ``CircuitOpenError``.
    :param classifier: The task's classifier (default: the configured one, with user rules): the
        engine, the installed ``ErrorGuardRetryPolicy``, ``ErrorGuardCallback`` and the failure
        listener all decide with it.
    :param errorguard_conn_id: Connection to errorguard's tables.
    """

    template_fields: Sequence[str] = ("records",)
    ui_color = "#fdf1d6"

    def __init__(
        self,
        *,
        records: RecordSource,
        process: Callable[[Any], Any],
        sink: Callable[[list[Any], Any], object] | TransactionalSink | None = None,
        record_key: RecordKey = None,
        batch_size: int = 500,
        max_quarantine_ratio: float | None = None,
        max_quarantined: int | None = None,
        in_process_retry: Backoff | None = None,
        checkpoint: bool = True,
        isolate_sink_errors: bool = True,
        reschedule_waits_over: timedelta | None = timedelta(seconds=30),
        fallback: Callable[[Any], Any] | None = None,
        circuit: object = None,
        on_circuit_open: str = "reschedule",
        classifier: Classifier | None = None,
        errorguard_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        default_args = kwargs.get("default_args") or {}
        native = HAS_NATIVE_RETRY_POLICY  # below 3.3 execute() fails fast itself
        if native and kwargs.get("retry_policy") is None and default_args.get("retry_policy") is None:
            from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

            kwargs["retry_policy"] = ErrorGuardRetryPolicy(classifier=classifier)
        super().__init__(**kwargs)
        if native and classifier is not None:
            self.retry_policy = _bind_policy(self.retry_policy, classifier, self.task_id)
        if circuit is not None:
            from airflow_errorguard.circuits.registry import validate_circuit_argument

            circuit = validate_circuit_argument(circuit, self.task_id)
        from airflow_errorguard.breaker.modes import on_open_mode

        try:
            on_circuit_open = on_open_mode(on_circuit_open, f"{self.task_id}: on_circuit_open")
        except ValueError as err:
            raise ErrorGuardConfigError(str(err)) from None
        self.circuit = circuit
        self.on_circuit_open = on_circuit_open
        if fallback is not None and not callable(fallback):
            raise ErrorGuardConfigError(f"{self.task_id}: fallback must be callable, got {fallback!r}")
        self.fallback = fallback
        if not callable(process):
            raise ErrorGuardConfigError(f"{self.task_id}: process must be callable, got {process!r}")
        if isinstance(records, SqlRecords) and checkpoint and records.order_by is None:
            raise ErrorGuardConfigError(
                f"{self.task_id}: SqlRecords needs order_by when checkpoint=True (a retry resumes by "
                "skipping the committed rows of one stable order)"
            )
        self.records = _SourceCallable(records) if callable(records) else records
        if isinstance(records, FileRecords) and record_key is None:
            record_key = "path"
        self._files: BoundFiles | None = None
        self.process = process
        self.sink = sink
        self.classifier = classifier
        self.errorguard_conn_id = errorguard_conn_id
        self.options = GuardOptions(
            batch_size=batch_size,
            max_quarantine_ratio=max_quarantine_ratio,
            max_quarantined=max_quarantined,
            in_process_retry=in_process_retry or default_in_process_retry(),
            checkpoint=checkpoint,
            record_key=record_key,
            isolate_sink_errors=isolate_sink_errors,
            reschedule_waits_over=reschedule_waits_over,
        )

    def execute(self, context: Context) -> dict[str, Any]:
        store = SqlGuardStore.for_task(
            context,
            self.errorguard_conn_id,
            self.options.checkpoint_name if self.options.checkpoint else None,
        )
        sink = self.sink
        check = self._circuit_check(context)
        run = GuardedRun(
            self.process,
            store,
            self.options,
            sink=sink if sink is None or isinstance(sink, TransactionalSink) else self._bound_sink(context),
            classifier=task_classifier(self),
            scope=context,
            before_batch=check,
            on_finish=None if check is None else check.on_finish,
            on_retried=_count_in_process_retries,
            fallback=self.fallback,
        )
        try:
            summary = run.run(self._opener(context, store))
        except ErrorGuardBudgetExceeded as err:
            self.log.error("errorguard summary: %s", json.dumps(err.summary, sort_keys=True))
            raise AirflowFailException(f"{err}; summary: {json.dumps(err.summary, sort_keys=True)}") from err
        except (ErrorGuardAlert, ErrorGuardConfigError) as err:
            raise AirflowFailException(f"errorguard: {err}") from err
        except ErrorGuardReschedule as err:
            from airflow_errorguard.compat import AirflowRescheduleException

            when = datetime.now(UTC) + err.wait
            self.log.warning(
                "errorguard: %s; rescheduling the task to %s (no retry used)", err, when.isoformat()
            )
            raise AirflowRescheduleException(when) from err
        except Exception as err:
            if not HAS_NATIVE_RETRY_POLICY:
                _fail_fast_without_retry_policy(err, run.classifier, context)
            raise
        self.log.info(
            "errorguard: processed %d, succeeded %d, quarantined %d, retried in-process %d, "
            "resumed from %d, %d batches in %.1fs",
            summary["processed"],
            summary["succeeded"],
            summary["quarantined"],
            summary["retried_in_process"],
            summary["resumed_from"],
            summary["batches"],
            summary["duration_s"],
        )
        if self._files is not None:
            self._files.report(summary)
            self.log.info("errorguard: skipped %d files committed before", summary["skipped"])
        return summary

    def _circuit_check(self, context: Context) -> RunCircuitCheck | None:
        if self.circuit is None:
            return None
        from airflow_errorguard.circuits.outcomes import RunCircuitCheck
        from airflow_errorguard.circuits.registry import get_circuit_breaker

        breaker = get_circuit_breaker(self.circuit, conn_id=self.errorguard_conn_id, context=context)
        return RunCircuitCheck(breaker, self.on_circuit_open, context)

    def _bound_sink(self, context: Context) -> Callable[[list[Any]], object]:
        sink = self.sink
        assert callable(sink)

        def bound(outputs: list[Any]) -> object:
            return sink(outputs, context)

        bound.__qualname__ = getattr(sink, "__qualname__", None) or type(sink).__qualname__
        return bound

    def _opener(self, context: Context, store: SqlGuardStore | None = None) -> Callable[[int], Iterable[Any]]:
        records = self.records
        if isinstance(records, FileRecords):
            if store is None:
                raise AirflowFailException(f"{self.task_id}: FileRecords commits through the task's store")
            self._files = records.bind(store)
            return self._files
        if isinstance(records, _SourceCallable):
            source = records.fn
            return lambda position: source(context, position)
        if isinstance(records, SqlRecords):
            return records.open
        if records is None:
            raise AirflowFailException(f"{self.task_id}: records resolved to None")
        return lambda position: itertools.islice(records, position, None)


def _bind_policy(policy: Any, classifier: Classifier, task_id: str) -> Any:
    """*policy* deciding with the task's *classifier* when it is errorguard's (a copy, never mutated)."""
    from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

    if isinstance(policy, ErrorGuardRetryPolicy):
        return policy.with_classifier(classifier, task_id)
    return policy


#: Airflow exceptions that steer the task (reschedule, skip, defer...): never reclassified.
_AIRFLOW_CONTROL_FLOW = frozenset(
    {"AirflowRescheduleException", "AirflowSkipException", "AirflowFailException", "TaskDeferred"}
)


def _fail_fast_without_retry_policy(err: Exception, classifier: Classifier, context: Context) -> None:
    """
    Below Airflow 3.3 (no native ``retry_policy``): fail without retry where
    ``ErrorGuardRetryPolicy`` would (data, configuration, a rule saying fail); else return.
    """
    from airflow_errorguard.classification.model import ErrorAction, ErrorCategory

    if {klass.__name__ for klass in type(err).__mro__} & _AIRFLOW_CONTROL_FLOW:
        return
    try:
        verdict = classifier.classify(err, context)
    except Exception:  # never mask the task's own error; Airflow's default retries apply
        return
    retried = (ErrorCategory.UNKNOWN, ErrorCategory.SYSTEM)
    if verdict.action is ErrorAction.RETRY or verdict.category in retried:
        return
    raise AirflowFailException(
        f"errorguard: {verdict.reason} ({verdict.category}); failing without retry "
        f"[errorguard: {verdict.rule}]"
    ) from err


def _count_in_process_retries(count: int) -> None:
    from airflow_errorguard import metrics

    metrics.in_process_retry("transient", count)
