"""
The guarded processing engine, one contract run against every store: the in-memory
:class:`MemoryGuardStore` and :class:`SqlGuardStore` on a real SQLite database (no Airflow).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.exceptions import ErrorGuardAlert, ErrorGuardBudgetExceeded, ErrorGuardConfigError
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore, Progress, SqlGuardStore
from airflow_errorguard.storage.checkpoints import CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineFilter, QuarantineItem

pytestmark = pytest.mark.unit

StoreFactory = Callable[[], Any]


class InspectableSqlStore(SqlGuardStore):
    """A :class:`SqlGuardStore` showing what the memory store shows, read back from the tables."""

    def __init__(self, database: Database, run_id: str) -> None:
        task = TaskIdentity("dag", "task", run_id, try_number=1)
        super().__init__(database, task, CheckpointKey.for_task(task, "guarded", per_run=True))
        self.commits = 0

    def commit(self, *args: Any, **kwargs: Any) -> int:
        version = super().commit(*args, **kwargs)
        self.commits += 1
        return version

    @property
    def items(self) -> dict[str, Any]:
        flt = QuarantineFilter(run_id=self.identity.run_id)
        rows = QuarantineRepository(self.database).page(flt, limit=1000, include_payload=True).items
        return {row.record_key: row for row in rows}

    @property
    def progress(self) -> Progress:
        return self.load()

    @progress.setter
    def progress(self, value: Progress) -> None:
        assert self.key is not None and value.version == 1, "only a first checkpoint can be planted"
        CheckpointRepository(self.database).save(
            self.key, state=value.state, position=value.position, expected_version=0
        )


@pytest.fixture(params=["memory", "sql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """A factory of empty stores of one kind (all stores of a test share one database)."""
    if request.param == "memory":
        return MemoryGuardStore
    url = f"sqlite:///{tmp_path / 'errorguard.db'}"
    upgrade(url)
    database = Database(get_engine(url), conn_id="test")
    runs = itertools.count(1)
    return lambda: InspectableSqlStore(database, f"run-{next(runs)}")  # independent, like memory stores


FAST = Backoff(base_delay=timedelta(0), max_delay=timedelta(0), jitter="none", max_attempts=3, deadline=None)


def from_list(records: Sequence[Any]) -> Any:
    return lambda position: itertools.islice(records, position, None)


class Flaky:
    """process(): bad ids raise ValueError, flaky ids raise ConnectionResetError on first call."""

    def __init__(
        self, bad: Iterable[int] = (), flaky: Iterable[int] = (), always: Iterable[int] = ()
    ) -> None:
        self.bad, self.flaky, self.always = set(bad), set(flaky), set(always)
        self.calls: Counter[int] = Counter()

    def __call__(self, record: dict[str, int]) -> int:
        rid = record["id"]
        self.calls[rid] += 1
        if rid in self.bad:
            raise ValueError(f"record {rid}: amount is not a number")
        if rid in self.always or (rid in self.flaky and self.calls[rid] == 1):
            raise ConnectionResetError(104, "Connection reset by peer")
        return rid * 10


class ListSink:
    def __init__(self, fail_on_call: int | None = None) -> None:
        self.batches: list[list[Any]] = []
        self.fail_on_call = fail_on_call

    def __call__(self, outputs: list[Any]) -> None:
        if self.fail_on_call is not None and len(self.batches) + 1 == self.fail_on_call:
            self.fail_on_call = None
            raise ConnectionResetError(104, "sink connection reset")
        self.batches.append(list(outputs))

    @property
    def all(self) -> list[Any]:
        return [o for batch in self.batches for o in batch]


def guard(process: Any, store: Any, sink: Any = None, **options: Any) -> GuardedRun:
    options.setdefault("in_process_retry", FAST)
    options.setdefault("record_key", "id")
    return GuardedRun(process, store, GuardOptions(**options), sink=sink, sleep=lambda _: None)


def test_bad_records_quarantined_transient_retried_batches_committed(make_store: StoreFactory) -> None:
    records = [{"id": i} for i in range(1000)]
    bad = set(range(0, 1000, 50))  # 2 %
    flaky = set(range(7, 1000, 20))  # 5 %
    process, sink, store = Flaky(bad, flaky), ListSink(), make_store()

    summary = guard(process, store, sink, batch_size=100).run(from_list(records))

    assert sorted(sink.all) == sorted(i * 10 for i in range(1000) if i not in bad)
    assert len(sink.all) == len(set(sink.all))
    assert set(store.items) == {str(i) for i in bad}
    assert {item.error_category for item in store.items.values()} == {"data"}
    assert all(item.fingerprint and item.traceback for item in store.items.values())
    assert store.commits == 10 and store.progress.position == 1000
    assert {k: summary[k] for k in ("processed", "succeeded", "quarantined", "retried_in_process")} == {
        "processed": 1000,
        "succeeded": 980,
        "quarantined": 20,
        "retried_in_process": 50,
    }
    assert summary["batches"] == 10 and summary["resumed_from"] == 0 and summary["status"] == "success"
    assert summary["by_category"] == {"data": 20}
    assert process.calls[7] == 2 and process.calls[0] == 1


def test_retry_exhausted_leaves_batch_uncommitted_and_resume_continues_after_checkpoint(
    make_store: StoreFactory,
) -> None:
    records = [{"id": i} for i in range(250)]
    process, sink, store = Flaky(bad={3, 130}, always={160}), ListSink(), make_store()

    with pytest.raises(ConnectionResetError) as err:
        guard(process, store, sink, batch_size=50).run(from_list(records))
    assert len(err.value.errorguard_attempts) == 3  # type: ignore[attr-defined]
    assert store.progress.position == 150 and store.commits == 3
    assert set(store.items) == {"3", "130"}
    assert process.calls[160] == 3

    process.always.clear()
    summary = guard(process, store, sink, batch_size=50).run(from_list(records))

    assert summary["resumed_from"] == 150
    assert summary["processed"] == 250 and summary["quarantined"] == 2 and summary["batches"] == 5
    # Committed records ran once; those of the uncommitted batch before the failure twice.
    assert {process.calls[i] for i in range(150)} == {1}
    assert {process.calls[i] for i in range(150, 160)} == {2}
    assert process.calls[160] == 4
    assert {process.calls[i] for i in range(161, 250)} == {1}
    assert sorted(sink.all) == sorted(i * 10 for i in range(250) if i not in {3, 130})


def test_sink_failure_is_retried_by_the_task_without_duplicates(make_store: StoreFactory) -> None:
    records = [{"id": i} for i in range(30)]
    store, sink = make_store(), ListSink(fail_on_call=2)
    with pytest.raises(ConnectionResetError):
        guard(Flaky(), store, sink, batch_size=10).run(from_list(records))
    assert store.progress.position == 10
    guard(Flaky(), store, sink, batch_size=10).run(from_list(records))
    assert sorted(sink.all) == [i * 10 for i in range(30)]


def test_alert_classification_fails_at_once_without_quarantine(make_store: StoreFactory) -> None:
    def process(record: dict[str, int]) -> int:
        if record["id"] == 5:
            raise PermissionError(13, "Permission denied: '/data/secret'")
        return record["id"]

    store = make_store()
    calls: list[int] = []

    def counted(record: dict[str, int]) -> int:
        calls.append(record["id"])
        return process(record)

    with pytest.raises(ErrorGuardAlert) as err:
        guard(counted, store, ListSink(), batch_size=100).run(from_list([{"id": i} for i in range(10)]))
    assert err.value.category == "configuration" and err.value.record_key == "5"
    assert isinstance(err.value.__cause__, PermissionError)
    assert calls.count(5) == 1 and not store.items and store.commits == 0


def test_budget_ratio_breach_fails_after_committing_the_batch(make_store: StoreFactory) -> None:
    records = [{"id": i} for i in range(100)]
    process, store = Flaky(bad=set(range(0, 100, 5))), make_store()  # 20 % bad
    with pytest.raises(ErrorGuardBudgetExceeded) as err:
        guard(process, store, ListSink(), batch_size=25, max_quarantine_ratio=0.1).run(from_list(records))
    summary = err.value.summary
    assert summary["status"] == "failed" and summary["processed"] == 25 and summary["quarantined"] == 5
    assert summary["by_category"] == {"data": 5}
    assert summary["top_fingerprints"] == {next(iter(store.items.values())).fingerprint: 5}
    assert summary["samples"]
    assert "max_quarantine_ratio=0.1" in str(err.value)
    assert len(store.items) == 5  # the rows stay for inspection


def test_budget_count_breach(make_store: StoreFactory) -> None:
    records = [{"id": i} for i in range(100)]
    with pytest.raises(ErrorGuardBudgetExceeded, match="max_quarantined=3"):
        guard(Flaky(bad={1, 2, 3, 4}), make_store(), ListSink(), max_quarantined=3).run(from_list(records))


def test_within_budget_succeeds(make_store: StoreFactory) -> None:
    records = [{"id": i} for i in range(100)]
    summary = guard(Flaky(bad={1, 2}), make_store(), ListSink(), max_quarantine_ratio=0.05).run(
        from_list(records)
    )
    assert summary["quarantined"] == 2


def test_default_record_key_is_the_stream_position_and_source_resumes_by_position(
    make_store: StoreFactory,
) -> None:
    opened: list[int] = []

    def source(position: int) -> Iterable[str]:
        opened.append(position)
        return (f"r{i}" for i in range(position, 12))

    store = make_store()
    store.progress = Progress(position=5, state={}, version=1)

    def process(record: str) -> str:
        if record == "r7":
            raise ValueError("bad")
        return record.upper()

    sink = ListSink()
    summary = GuardedRun(process, store, GuardOptions(batch_size=4), sink=sink).run(source)
    assert opened == [5]
    assert set(store.items) == {"7"}
    assert sink.all == ["R5", "R6", "R8", "R9", "R10", "R11"]
    assert summary["resumed_from"] == 5 and store.progress.version == 3


def test_without_sink_outputs_are_returned_and_survive_a_resume(make_store: StoreFactory) -> None:
    records = [{"id": i} for i in range(20)]
    store = make_store()
    process = Flaky(always={15})
    with pytest.raises(ConnectionResetError):
        guard(process, store, batch_size=10).run(from_list(records))
    process.always.clear()
    summary = guard(process, store, batch_size=10).run(from_list(records))
    assert summary["outputs"] == [i * 10 for i in range(20)]


def test_memory_store_quarantine_is_idempotent_and_refuses_a_stale_version() -> None:
    store = MemoryGuardStore()
    store.commit([QuarantineItem("1")], Progress(0, {}), 0)
    assert store.progress.version == 1
    with pytest.raises(RuntimeError, match="expected 0"):
        store.commit([QuarantineItem("1")], Progress(0, {}), 0)


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 0},
        {"batch_size": True},
        {"max_quarantine_ratio": 1.5},
        {"max_quarantined": -1},
        {"in_process_retry": 3},
        {"record_key": 5},
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, Any]) -> None:
    with pytest.raises(ErrorGuardConfigError):
        GuardOptions(**options)


def test_too_many_outputs_without_sink(make_store: StoreFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("airflow_errorguard.guard.engine.MAX_RETURNED_OUTPUTS", 5)
    with pytest.raises(ErrorGuardConfigError, match="give the guard a sink"):
        guard(Flaky(), make_store(), batch_size=3).run(from_list([{"id": i} for i in range(10)]))


def fail_second_commit_once(store: Any) -> Any:
    """Make *store*'s second commit fail once, as a database lost between sink and commit."""
    commit, failed = store.commit, list[bool]()

    def failing(*args: Any, **kwargs: Any) -> int:
        if store.commits == 1 and not failed:
            failed.append(True)
            raise ConnectionResetError(104, "lost the database between sink and commit")
        return int(commit(*args, **kwargs))

    store.commit = failing
    return store


def test_crash_between_sink_and_commit_replays_that_one_batch_to_the_sink(make_store: StoreFactory) -> None:
    """At-least-once to the sink: the batch whose commit failed is sunk again on the next try."""
    records = [{"id": i} for i in range(30)]
    store, sink = fail_second_commit_once(make_store()), ListSink()
    with pytest.raises(ConnectionResetError):
        guard(Flaky(bad={12}), store, sink, batch_size=10).run(from_list(records))
    summary = guard(Flaky(bad={12}), store, sink, batch_size=10).run(from_list(records))
    assert Counter(sink.all) == Counter(
        [i * 10 for i in range(30) if i != 12] + [i * 10 for i in range(10, 20) if i != 12]
    )
    assert set(store.items) == {"12"} and summary["processed"] == 30 and summary["resumed_from"] == 10


def test_on_finish_gets_none_after_success_and_the_exception_after_a_failure(
    make_store: StoreFactory,
) -> None:
    seen: list[BaseException | None] = []
    run = GuardedRun(Flaky(), make_store(), GuardOptions(in_process_retry=FAST), on_finish=seen.append)
    run.run(from_list([{"id": i} for i in range(3)]))
    assert seen == [None]

    failing = GuardedRun(
        Flaky(always=[1]), make_store(), GuardOptions(in_process_retry=FAST), on_finish=seen.append
    )
    with pytest.raises(ConnectionResetError) as raised:
        failing.run(from_list([{"id": i} for i in range(3)]))
    assert seen[1] is raised.value


def test_a_failing_on_finish_never_masks_the_run_outcome(make_store: StoreFactory) -> None:
    def broken(exc: BaseException | None) -> None:
        raise RuntimeError("on_finish broke")

    run = GuardedRun(Flaky(bad=[0]), make_store(), GuardOptions(in_process_retry=FAST), on_finish=broken)
    assert run.run(from_list([{"id": 0}, {"id": 1}]))["quarantined"] == 1
    failing = GuardedRun(
        Flaky(always=[0]), make_store(), GuardOptions(in_process_retry=FAST), on_finish=broken
    )
    with pytest.raises(ConnectionResetError):
        failing.run(from_list([{"id": 0}]))
