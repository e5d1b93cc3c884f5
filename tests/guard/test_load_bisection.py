"""
Poison rows at load time: bisection isolates the rows a sink rejects, quarantines them with the
database's own error and loads the rest exactly once (SQLite and PostgreSQL, real constraints).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from airflow_errorguard.classification.defaults import get_default_classifier
from airflow_errorguard.exceptions import ErrorGuardAlert
from airflow_errorguard.guard import GuardedRun, GuardOptions, MemoryGuardStore, SqlGuardStore
from airflow_errorguard.guard.bisection import isolate
from airflow_errorguard.guard.load_errors import describe_load_error
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from tests.guard.poison_rows import (
    KINDS,
    TARGET,
    create_tables,
    expected_reason,
    loaded_ids,
    poison_kind,
    quarantined,
    row_for,
)
from tests.harness.kill import run_worker, sigkill_at_marker
from tests.harness.migrated_db import migrated_database


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def load_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated errorguard database holding the poison-row target tables."""
    yield from migrated_database(request.param, tmp_path, "load", create_tables)


def check_load(url: str, records: int, every: int) -> None:
    """Every good row loaded once; every poison row quarantined once, its reason naming the error."""
    backend = sa.engine.make_url(url).get_backend_name()
    good = [p for p in range(records) if poison_kind(p, every) is None]
    ids = loaded_ids(url)
    assert sorted(ids) == good and set(ids.values()) == {1}
    rows = quarantined(url)
    keys = Counter(r["record_key"] for r in rows)
    assert set(keys.values()) == {1}
    assert sorted(int(k) for k in keys) == [p for p in range(records) if poison_kind(p, every)]
    for row in rows:
        kind = poison_kind(int(row["record_key"]), every)
        assert kind is not None and row["error_category"] == "data"
        assert row["reason"].startswith("rejected at load time by SqlTableSink('eg_load_target'): ")
        assert expected_reason(kind, backend) in row["reason"], (kind, row["reason"])


def test_a_100k_row_load_isolates_every_poison_row(load_url: str) -> None:
    records, every = 100_000, 500  # 200 poison rows: ~33 of each of the six kinds
    identity = TaskIdentity("eg_load", "load", "run", try_number=1)
    store = SqlGuardStore(
        Database(get_engine(load_url), conn_id="test"),
        identity,
        CheckpointKey.for_task(identity, "guarded", per_run=True),
    )
    summary = GuardedRun(
        lambda n: row_for(n, every), store, GuardOptions(batch_size=1000), sink=SqlTableSink(TARGET)
    ).run(lambda position: range(position, records))
    poison = records // every
    assert Counter(poison_kind(p, every) for p in range(records) if poison_kind(p, every)) == {
        kind: poison // len(KINDS) + (1 if i < poison % len(KINDS) else 0) for i, kind in enumerate(KINDS)
    }
    assert summary["processed"] == records and summary["batches"] == 100
    assert (summary["succeeded"], summary["quarantined"], summary["rejected_at_load"]) == (
        records - poison,
        poison,
        poison,
    )
    check_load(load_url, records, every)


def test_sigkill_mid_bisection_loses_and_duplicates_nothing(load_url: str, tmp_path: Path) -> None:
    records, every, batch = 20_000, 250, 1000
    marker = tmp_path / "bisecting"
    args = [load_url, str(records), str(every), str(batch)]
    sigkill_at_marker("tests.guard.load_worker", [*args, "1", str(marker)], marker, "a bisection")
    mid_run = loaded_ids(load_url)
    assert 0 < len(mid_run) < records - records // every, "killed after some batches, before the end"

    summary = run_worker("tests.guard.load_worker", [*args, "2"])
    assert summary["resumed_from"] > 0 and summary["resumed_from"] % batch == 0
    assert summary["processed"] == records and summary["quarantined"] == records // every
    check_load(load_url, records, every)


# -- without a database ------------------------------------------------------------------------


class PickySink:
    """A callable sink rejecting a whole call when any row is negative (as a constraint does)."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.calls = 0

    def __call__(self, rows: list[int]) -> None:
        self.calls += 1
        bad = [r for r in rows if r < 0]
        if bad:
            raise ValueError(f"value {bad[0]} violates check constraint positive")
        self.rows.extend(rows)


@pytest.mark.unit
@pytest.mark.parametrize(("size", "bad"), [(512, [300]), (512, [0, 511]), (1000, [3, 4, 5, 600]), (64, [])])
def test_bisection_takes_o_k_log_n_writes(size: int, bad: list[int]) -> None:
    rows = [-1 if i in bad else i for i in range(size)]
    sink = PickySink()
    outcome = isolate(sink, rows, get_default_classifier(), sink_name="picky")
    assert [r.index for r in outcome.rejected] == bad
    assert sink.rows == [r for r in rows if r >= 0], "the good rows loaded once, in order"
    assert outcome.writes <= 1 + 2 * len(bad) * math.ceil(math.log2(size))


@pytest.mark.unit
def test_a_row_is_rejected_only_by_its_own_failed_write() -> None:
    """A batch that failed once for no row's fault (nothing fails alone) loads whole."""
    written: list[int] = []
    failures = iter([ValueError("check constraint violated")])

    def once(rows: list[int]) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        written.extend(rows)

    outcome = isolate(once, list(range(64)), get_default_classifier(), sink_name="once")
    assert outcome.rejected == [] and written == list(range(64))


@pytest.mark.unit
def test_a_callable_sink_rejection_is_quarantined_and_the_summary_counts_it() -> None:
    sink, store = PickySink(), MemoryGuardStore()

    def process(n: int) -> int:
        if n == 7:
            raise KeyError("price")  # quarantined by process(): shifts the positions of what follows
        return -n if n in (5, 12) else n

    summary = GuardedRun(process, store, GuardOptions(batch_size=10), sink=sink).run(
        lambda position: range(position, 20)
    )
    assert sorted(store.items) == ["12", "5", "7"], "rows keyed by their record's position"
    item = store.items["12"]
    assert item.payload == -12 and item.error_category == "data"
    assert (
        item.reason == "rejected at load time by sink PickySink: value -12 violates check constraint positive"
    )
    assert (summary["succeeded"], summary["quarantined"], summary["rejected_at_load"]) == (17, 3, 2)
    assert sink.rows == [n for n in range(20) if n not in (5, 7, 12)]


@pytest.mark.unit
def test_rows_keyed_by_their_record_key_field_when_they_carry_it() -> None:
    store = MemoryGuardStore()

    def sink(rows: list[dict[str, int]]) -> None:
        if any(r["qty"] < 0 for r in rows):
            raise ValueError("qty violates check constraint")

    GuardedRun(lambda r: r, store, GuardOptions(batch_size=4, record_key="sku"), sink=sink).run(
        lambda position: [{"sku": 100 + i, "qty": i - 2 if i == 1 else i} for i in range(position, 8)]
    )
    assert list(store.items) == ["101"]


@pytest.mark.unit
def test_transient_and_configuration_errors_are_not_bisected() -> None:
    calls: list[int] = []

    def flaky(rows: list[int]) -> None:
        calls.append(len(rows))
        raise ConnectionResetError("connection reset by peer")

    with pytest.raises(ConnectionResetError):
        GuardedRun(lambda n: n, MemoryGuardStore(), GuardOptions(batch_size=8), sink=flaky).run(
            lambda position: range(position, 8)
        )
    assert calls == [8], "a transient error keeps today's behaviour: the batch fails for a retry"

    def misconfigured(rows: list[int]) -> None:
        raise PermissionError("permission denied for table orders")

    with pytest.raises(ErrorGuardAlert, match=r"misconfigured failed: PermissionError means") as raised:
        GuardedRun(lambda n: n, MemoryGuardStore(), GuardOptions(batch_size=8), sink=misconfigured).run(
            lambda position: range(position, 8)
        )
    assert isinstance(raised.value.__cause__, PermissionError)


@pytest.mark.unit
def test_isolation_can_be_turned_off() -> None:
    sink = PickySink()
    with pytest.raises(ValueError, match="violates check constraint"):
        GuardedRun(
            lambda n: -n if n == 3 else n,
            MemoryGuardStore(),
            GuardOptions(batch_size=8, isolate_sink_errors=False),
            sink=sink,
        ).run(lambda position: range(position, 8))
    assert sink.calls == 1


@pytest.mark.unit
def test_describe_load_error_reads_the_driver_chain() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        with pytest.raises(sa.exc.IntegrityError) as raised:
            conn.execute(sa.text("INSERT INTO t (id, n) VALUES (1, NULL)"))
    assert describe_load_error(raised.value) == (
        "SQLITE_CONSTRAINT_NOTNULL, column t.n: NOT NULL constraint failed: t.n"
    )
    assert describe_load_error(ValueError("plain\nsecond line")) == "plain"
