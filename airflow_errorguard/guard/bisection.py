"""
Poison rows at load time: find the rows a batch write rejects by bisection (pure Python).

When a sink rejects a batch with an error the classifier sends to quarantine (a constraint
violation, an overflowing value, an invalid date), the batch is split in halves and each half is
written again, recursively, until the failing rows stand alone: ``O(k log n)`` writes for ``k`` bad
rows in ``n`` (when the left half of a failed chunk loads, the right half must fail, and is split
without being written whole). Rows that load are kept; each row that fails alone (its own write
failed: never inferred) becomes a quarantine item whose reason names the database's error
(:mod:`~airflow_errorguard.guard.load_errors`).

* errors classified ``retry`` (transient) propagate unchanged, as without bisection;
* errors classified ``alert`` (configuration) raise
  :class:`~airflow_errorguard.exceptions.ErrorGuardAlert`.

:class:`IsolatingSink` wraps a :class:`~airflow_errorguard.guard.store.TransactionalSink` and
writes each attempt inside a **savepoint** of the batch's transaction, so a failed half leaves
nothing behind and the rows, their quarantine items and the checkpoint still commit together.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification, ErrorAction
from airflow_errorguard.exceptions import ErrorGuardAlert
from airflow_errorguard.guard.load_errors import describe_load_error
from airflow_errorguard.guard.options import GuardOptions
from airflow_errorguard.guard.store import TransactionalSink
from airflow_errorguard.storage.quarantine_types import REASON_LIMIT, QuarantineItem

log = logging.getLogger(__name__)

#: ``key_of(index, row)``: the quarantine key of the batch's output number *index*.
OutputKey = Callable[[int, Any], str]


@dataclass(frozen=True)
class Rejection:
    """One row the sink rejected on its own: its index in the batch, the error, its verdict."""

    index: int
    error: BaseException
    verdict: Classification


@dataclass
class Isolation:
    """Outcome of one isolating write: the rejected rows and how many writes it took."""

    rejected: list[Rejection] = field(default_factory=list)
    writes: int = 0


class Rows(Protocol):
    """What :func:`isolate` splits: a length and row ranges (a list, or a chunk's view)."""

    def __len__(self) -> int: ...

    def __getitem__(self, span: slice, /) -> Any: ...


def data_error(exc: Exception, classifier: Classifier, *, sink_name: str, rows: str) -> Classification | None:
    """
    The verdict of *exc*, raised writing *rows*, when it is the rows' fault (quarantine).

    :raises ErrorGuardAlert: when *exc* is classified ``alert``.
    :returns: ``None`` when *exc* is classified ``retry`` (the caller re-raises it).
    """
    verdict = classifier.classify(exc)
    if verdict.action is ErrorAction.QUARANTINE:
        return verdict
    if verdict.action is ErrorAction.ALERT:
        raise ErrorGuardAlert(
            f"{sink_name} failed: {verdict.reason} ({verdict.category}); failing without retry",
            record_key=rows,
            category=str(verdict.category),
        ) from exc
    return None


def isolate(
    write: Callable[[Any], object], rows: Rows, classifier: Classifier, *, sink_name: str
) -> Isolation:
    """
    ``write(rows)``; when it fails with an error classified for quarantine, write the halves
    again, recursively, until the failing rows are single. Returns the rows rejected alone.

    :raises ErrorGuardAlert: when a write fails with an error classified ``alert``.
    :raises Exception: a write's error classified ``retry``, unchanged.
    """
    outcome = Isolation()

    def attempt(lo: int, hi: int) -> tuple[BaseException, Classification] | None:
        outcome.writes += 1
        try:
            write(rows[lo:hi])
        except Exception as exc:
            verdict = data_error(
                exc, classifier, sink_name=sink_name, rows=f"rows {lo}-{hi - 1} of the batch"
            )
            if verdict is None:
                raise
            return exc, verdict
        return None

    def split(lo: int, hi: int, failure: tuple[BaseException, Classification] | None) -> None:
        """Isolate the failing rows of [lo, hi); *failure* is ``None`` when inferred, not seen."""
        if hi - lo == 1:
            failure = failure or attempt(lo, hi)  # a row is rejected only by its own failed write
            if failure is not None:
                outcome.rejected.append(Rejection(lo, failure[0], failure[1]))
            return
        mid = (lo + hi) // 2
        failed = attempt(lo, mid)
        if failed is not None:
            split(lo, mid, failed)
            failed = attempt(mid, hi)
            if failed is not None:
                split(mid, hi, failed)
        else:
            # The left half is written and [lo, hi) failed: writing [mid, hi) now is writing
            # [lo, hi) again, so it fails too: split it without writing it whole.
            split(mid, hi, None)

    if rows:
        failed = attempt(0, len(rows))
        if failed is not None:
            split(0, len(rows), failed)
            log.info(
                "errorguard: %s rejected %d of %d rows (%d writes to isolate them)",
                sink_name,
                len(outcome.rejected),
                len(rows),
                outcome.writes,
            )
    return outcome


def rejected_items(
    isolation: Isolation, rows: Sequence[Any], key_of: OutputKey, *, sink_name: str
) -> list[QuarantineItem]:
    """Quarantine items of the rejected rows: the row as payload, the database's error as reason."""
    items = []
    for rejection in isolation.rejected:
        row = rows[rejection.index]
        key = key_of(rejection.index, row)
        item = QuarantineItem.from_exception(key, row, rejection.error, rejection.verdict)
        reason = f"rejected at load time by {sink_name}: {describe_load_error(rejection.error)}"
        items.append(replace(item, reason=reason[:REASON_LIMIT]))
    return items


def output_keys(options: GuardOptions, start: int, skipped: Sequence[int]) -> OutputKey:
    """
    Quarantine keys of a batch's outputs. The batch's records start at stream position *start*;
    *skipped* (ascending) are the batch indexes of records quarantined by ``process`` (no output).
    Without ``record_key`` a row is keyed by its record's position, as ``process`` failures are;
    with a field name the row's own field is used when it has it, else ``position:<n>``.
    """

    def key_of(index: int, row: Any) -> str:
        at = index
        for gap in skipped:
            if gap > at:
                break
            at += 1
        position = start + at
        field_name = options.record_key
        if field_name is None:
            return str(position)
        if isinstance(field_name, str):
            if isinstance(row, Mapping) and field_name in row:
                return str(row[field_name])
            if not isinstance(row, Mapping) and hasattr(row, field_name):
                return str(getattr(row, field_name))
        return f"position:{position}"

    return key_of


def fallback_outputs(
    served: Sequence[tuple[int, str]],
    outputs: Sequence[Any],
    options: GuardOptions,
    start: int,
    skipped: Sequence[int],
) -> list[tuple[str, str]]:
    """
    ``(output key, record key)`` of the batch's outputs the fallback served: *served* holds the
    ``(position, record key)`` of their records, *skipped* (ascending) the batch indexes of the
    records quarantined by ``process``. A row the sink rejects is quarantined under its output key
    (:func:`output_keys`), which tells which served outputs did not load.
    """
    key_of, pairs = output_keys(options, start, skipped), []
    for position, key in served:
        index = position - start
        index -= bisect_left(skipped, index)  # the outputs before it: the records before it, less the skipped
        pairs.append((key_of(index, outputs[index]), key))
    return pairs


class IsolatingSink(TransactionalSink):
    """
    A transactional sink whose failing rows are isolated by bisection, each attempt in a
    savepoint; :meth:`write` returns the rejected rows' quarantine items for the same transaction.

    :param sink: The sink that writes (e.g. :class:`~airflow_errorguard.guard.sql_sink.SqlTableSink`).
    :param classifier: Decides which write errors are the rows' fault.
    :param key_of: The quarantine key of a batch output.
    """

    def __init__(self, sink: TransactionalSink, classifier: Classifier, key_of: OutputKey) -> None:
        self.sink = sink
        self.classifier = classifier
        self.key_of = key_of

    def __repr__(self) -> str:
        return repr(self.sink)

    def write(self, connection: Any, outputs: list[Any]) -> list[QuarantineItem]:
        own: list[QuarantineItem] = []  # rows the wrapped sink rejected itself (it may return them)

        def write_chunk(rows: list[Any]) -> None:
            if connection is None:  # an in-memory store: nothing to roll back
                returned = self.sink.write(connection, rows)
            else:
                with connection.begin_nested():
                    returned = self.sink.write(connection, rows)
            own.extend(returned or ())

        isolation = isolate(write_chunk, outputs, self.classifier, sink_name=repr(self.sink))
        return own + rejected_items(isolation, outputs, self.key_of, sink_name=repr(self.sink))
