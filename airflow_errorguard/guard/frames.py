"""
DataFrame and Arrow batches: a vectorised transform per batch, bad rows isolated and quarantined.

:class:`FrameBatches` turns a source of pandas ``DataFrame`` / pyarrow ``Table`` / ``RecordBatch``
chunks into the per-row stream guarded processing expects. Each chunk is transformed **at once**
by the user's vectorised ``transform(chunk) -> chunk``; when that raises an error classified for
quarantine (a value that does not parse, a failed cast), the chunk's bad rows are isolated — by
bisection of the chunk (:func:`~airflow_errorguard.guard.bisection.isolate`), or with the
user's per-row ``row_fallback(row) -> row`` — and handed to the guard as failures, so they are
quarantined with their row as payload while the rest goes on to the sink. Errors classified
``retry`` fail the run for a retry from the checkpoint; ``alert`` raises
:class:`~airflow_errorguard.exceptions.ErrorGuardAlert`.

The transform must return one output row per input row, in order (a vectorised column
computation, not a filter): positions, checkpoints and quarantine keys count input rows. pandas
and pyarrow are imported by the chunks you pass, never by errorguard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.defaults import get_default_classifier
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.guard.bisection import data_error, isolate

#: ``chunks(context, position)``: the chunks from input row *position* on (rows already committed).
ChunkSource = Callable[[Any, int], Iterable[Any]]


def rows_of(chunk: Any) -> list[dict[str, Any]]:
    """The rows of a pandas DataFrame or pyarrow Table/RecordBatch as dicts of Python values."""
    if hasattr(chunk, "to_pylist"):  # pyarrow.Table, pyarrow.RecordBatch
        rows: list[dict[str, Any]] = chunk.to_pylist()
        return rows
    if hasattr(chunk, "to_dict") and hasattr(chunk, "iloc"):  # pandas.DataFrame
        records: list[dict[str, Any]] = chunk.to_dict(orient="records")
        return records
    raise TypeError(f"expected a pandas DataFrame or a pyarrow Table/RecordBatch, got {type(chunk).__name__}")


def _slice(chunk: Any, lo: int, hi: int) -> Any:
    return chunk.iloc[lo:hi] if hasattr(chunk, "iloc") else chunk.slice(lo, hi - lo)


class _Chunk:
    """A chunk seen as a sequence of row ranges, for :func:`isolate`."""

    __slots__ = ("chunk", "lo", "n")

    def __init__(self, chunk: Any, lo: int = 0, n: int | None = None) -> None:
        self.chunk, self.lo = chunk, lo
        self.n = len(chunk) if n is None else n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, span: slice) -> _Chunk:
        lo, hi, _ = span.indices(self.n)
        return _Chunk(self.chunk, self.lo + lo, hi - lo)

    def frame(self) -> Any:
        return _slice(self.chunk, self.lo, self.lo + self.n)


class FrameBatches:
    """
    A vectorised transform over DataFrame/Arrow chunks, for ``GuardedOperator`` /
    ``@task.guarded``: pass :meth:`source` as ``records`` and :meth:`process` as ``process``::

        prices = FrameBatches(to_cents)  # to_cents(df) -> df, vectorised

        GuardedOperator(
            task_id="load",
            records=prices.source(read_csv_chunks),  # read_csv_chunks(context, position)
            process=prices.process,
            sink=SqlTableSink("prices"),
            batch_size=CHUNK_ROWS,  # one checkpoint per chunk
        )

    :param transform: ``transform(chunk) -> chunk``: one output row per input row, in order.
    :param row_fallback: ``row_fallback(row: dict) -> dict`` for the rows of a chunk whose
        transform failed, called as that row's ``process`` (so the guard classifies its errors,
        retries transient ones in-process and quarantines a row it fails on with a data error).
        Default: bisect the chunk.
    :param classifier: Decides which transform errors are the rows' fault (default: the
        process default classifier).
    """

    def __init__(
        self,
        transform: Callable[[Any], Any],
        *,
        row_fallback: Callable[[dict[str, Any]], Any] | None = None,
        classifier: Classifier | None = None,
    ) -> None:
        if not callable(transform):
            raise ErrorGuardConfigError(f"FrameBatches transform must be callable, got {transform!r}")
        if row_fallback is not None and not callable(row_fallback):
            raise ErrorGuardConfigError(f"FrameBatches row_fallback must be callable, got {row_fallback!r}")
        self.transform = transform
        self.row_fallback = row_fallback
        self.classifier = classifier
        # Errors of the current chunk's failed rows, by id() of the row (the record the guard
        # quarantines, so the payload is the row itself); cleared when the next chunk starts.
        self._failed: dict[int, BaseException] = {}
        # Input rows of the current chunk left to row_fallback, by id() (the row itself kept, so a
        # reused id never matches): process() calls row_fallback, so the guard classifies, retries
        # in-process and quarantines each call like any other.
        self._by_row: dict[int, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"FrameBatches({getattr(self.transform, '__qualname__', self.transform)!r})"

    def source(self, chunks: ChunkSource) -> Callable[[Any, int], Iterator[Any]]:
        """A ``records`` source of rows (outputs and failures) from a ``(context, position)`` chunk source."""

        def records(context: Any, position: int) -> Iterator[Any]:
            for chunk in chunks(context, position):
                self._failed.clear()  # the guard has processed every row of the previous chunk
                self._by_row.clear()
                yield from self.rows(chunk)

        records.__qualname__ = f"{self!r}.source"
        return records

    def process(self, record: Any) -> Any:
        """The guard's per-row ``process``: the output row, or the row's transform error raised."""
        error = self._failed.get(id(record))
        if error is not None:
            raise error
        row = self._by_row.get(id(record))
        if row is not None and row is record and self.row_fallback is not None:
            return self.row_fallback(row)
        return record

    def rows(self, chunk: Any) -> list[Any]:
        """One entry per input row of *chunk*: its output row, or the input row when it failed."""
        if not len(chunk):
            return []
        classifier = self.classifier or get_default_classifier()
        done: list[list[dict[str, Any]]] = []

        misshapen: list[str] = []  # a transform bug, not the rows' fault: never bisected

        def transform(part: _Chunk) -> None:
            out = rows_of(self.transform(part.frame()))
            if len(out) != len(part):
                misshapen.append(f"the transform returned {len(out)} rows for {len(part)}")
            done.append(out)

        whole = _Chunk(chunk)
        name = f"{self!r} transform"
        if self.row_fallback is not None:
            try:
                transform(whole)
            except Exception as exc:
                if data_error(exc, classifier, sink_name=name, rows=f"a chunk of {len(whole)} rows") is None:
                    raise
                return self._by_fallback(chunk)
            self._check_shape(misshapen)
            return list(done[0])
        outcome = isolate(transform, whole, classifier, sink_name=name)
        self._check_shape(misshapen)
        if not outcome.rejected:
            return [row for part in done for row in part]
        failed = {r.index: r.error for r in outcome.rejected}
        outputs = iter(row for part in done for row in part)
        inputs = rows_of(chunk)
        return [self._fail(inputs[i], failed[i]) if i in failed else next(outputs) for i in range(len(chunk))]

    def _fail(self, row: dict[str, Any], error: BaseException) -> dict[str, Any]:
        self._failed[id(row)] = error
        return row

    def _check_shape(self, misshapen: list[str]) -> None:
        if misshapen:
            raise ErrorGuardConfigError(
                f"{self!r}: {misshapen[0]}; it must return one output row per input row, in order"
            )

    def _by_fallback(self, chunk: Any) -> list[Any]:
        """The chunk's input rows, each to be served by ``row_fallback`` when the guard processes it."""
        rows = rows_of(chunk)
        self._by_row.update((id(row), row) for row in rows)
        return list(rows)
