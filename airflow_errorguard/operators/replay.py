"""``QuarantineReplayOperator``: re-drive released quarantined records through a process and a sink."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.storage.quarantine_types import QuarantineFilter, QuarantineRow
from airflow_errorguard.task_context import task_ref

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_errorguard.storage.quarantine import QuarantineRepository


class QuarantineReplayOperator(BaseOperator):
    """
    Replay quarantined records in status ``released``: ``process(payload)`` each, ``sink(outputs,
    context)`` per batch, then the batch's successes move to ``replayed`` and its failures back to
    ``quarantined`` with the new error in the row's note (both audited).

    Returns (XCom) ``{"replayed": n, "failed": n, "batches": n, "failures": {id: message}}``
    (at most 100 failure messages).

    :param process: ``process(payload) -> output``; *payload* is the stored record (decoded JSON).
    :param sink: ``sink(outputs, context)`` per batch, or ``None``.
    :param source_dag_id: Only rows of this DAG. (templated)
    :param source_task_id: Only rows of this task (needs ``source_dag_id``). (templated)
    :param source_run_id: Only rows of this run. (templated)
    :param fingerprint: Only rows with this failure fingerprint. (templated)
    :param ids: Only these row ids. (templated)
    :param batch_size: Rows per batch (1 to 1000).
    :param max_records_per_second: Rate limit; ``None`` for none.
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
        sink: Callable[[list[Any], Any], object] | None = None,
        source_dag_id: str | None = None,
        source_task_id: str | None = None,
        source_run_id: str | None = None,
        fingerprint: str | None = None,
        ids: Sequence[int] | None = None,
        batch_size: int = 100,
        max_records_per_second: float | None = None,
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
        self.process = process
        self.sink = sink
        self.source_dag_id = source_dag_id
        self.source_task_id = source_task_id
        self.source_run_id = source_run_id
        self.fingerprint = fingerprint
        self.ids = ids
        self.batch_size = batch_size
        self.max_records_per_second = max_records_per_second
        self.errorguard_conn_id = errorguard_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook

        repo = ErrorGuardHook(errorguard_conn_id=self.errorguard_conn_id).quarantine
        ref = task_ref(context)
        actor = f"replay:{ref.dag_id}/{ref.task_id}/{ref.run_id}"
        wanted = None if self.ids is None else {int(i) for i in self.ids}
        flt = QuarantineFilter(
            statuses=("released",),
            dag_id=self.source_dag_id,
            task_id=self.source_task_id,
            run_id=self.source_run_id,
            fingerprint=self.fingerprint,
        )
        result: dict[str, Any] = {"replayed": 0, "failed": 0, "batches": 0, "failures": {}}
        cursor: int | None = None
        while True:
            started = time.monotonic()
            page = repo.page(
                flt, limit=self.batch_size, after=cursor, newest_first=False, include_payload=True
            )
            rows = [r for r in page.items if wanted is None or r.id in wanted]
            if rows:
                self._replay_batch(repo, rows, actor, context, result)
                self._throttle(len(rows), started)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        self.log.info(
            "errorguard replay: %d replayed, %d failed, %d batches",
            result["replayed"],
            result["failed"],
            result["batches"],
        )
        return result

    def _replay_batch(
        self,
        repo: QuarantineRepository,
        rows: list[QuarantineRow],
        actor: str,
        context: Context,
        result: dict[str, Any],
    ) -> None:
        outputs: list[Any] = []
        ok: list[int] = []
        failed: dict[int, str] = {}
        for row in rows:
            try:
                outputs.append(self.process(row.payload_value()))
                ok.append(row.id)
            except Exception as exc:
                failed[row.id] = f"{type(exc).__name__}: {exc}"[:2000]
        if self.sink is not None and outputs:
            self.sink(outputs, context)
        if ok:
            repo.mark_replayed(ok, actor=actor, note="replayed")
        for row_id, message in failed.items():
            repo.transition([row_id], "quarantined", actor=actor, note=f"replay failed: {message}")
            if len(result["failures"]) < 100:
                result["failures"][str(row_id)] = message
        result["replayed"] += len(ok)
        result["failed"] += len(failed)
        result["batches"] += 1

    def _throttle(self, count: int, started: float) -> None:
        if self.max_records_per_second is None:
            return
        wait = count / self.max_records_per_second - (time.monotonic() - started)
        if wait > 0:
            time.sleep(wait)
