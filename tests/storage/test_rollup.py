"""
The hourly rollups (``errorguard_hourly_count``, ``errorguard_hourly_fingerprint``) stay exact:
their rows equal the raw rows grouped per hour, DAG and category (and fingerprint) after writes
across hours, lazy fills, purges, orphan removal, a concurrent fill, and the migrations' backfills;
the pictures over time, the top patterns, error budgets, fingerprint sparklines and quarantine
rows per fingerprint read from them unchanged (equal to the same figures from the raw rows only).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import Column, MetaData, String, Table, column, delete, func, insert, select, table, update

from airflow_errorguard.manage import trends
from airflow_errorguard.storage import rollup, rollup_memo, stats
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import create_storage_engine
from airflow_errorguard.storage.events import ErrorEvent, ErrorEventRepository
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import head_revision, upgrade
from airflow_errorguard.storage.orphans import OrphanRepository
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.tables import error_event_table as e
from airflow_errorguard.storage.tables import hourly_count_table as h
from airflow_errorguard.storage.tables import hourly_fingerprint_table as hf
from airflow_errorguard.storage.tables import quarantine_table as q
from airflow_errorguard.storage.tables import rollup_state_table as s
from airflow_errorguard.storage.tables.column_types import legacy_text_timestamps
from tests.storage.helpers import FakeClock

DAGS = ("orders", "billing", "crm")
CATEGORIES = ("data", "transient", "system")
Source = Literal["quarantine", "failures"]


TYPES = ("builtins.ValueError", "requests.ConnectionError", "Zeta.Error", None)


def _write(db: Database, step: int, run_id: str = "run", *, legacy: bool = False) -> None:
    """
    A few error events and quarantine rows whose DAG/category/fingerprint/type vary with *step*
    (a fingerprint seen in several DAGs and categories, some rows without one).
    """
    events = ErrorEventRepository(db)
    dag = DAGS[step % 3]
    identity = TaskIdentity(dag, f"t{step % 2}", f"{run_id}-{step}", try_number=1)
    events.append_many(
        ErrorEvent(
            identity,
            CATEGORIES[(step + n) % 3],
            "retry",
            fingerprint=f"{n:016x}" if (step + n) % 5 else None,
            exception_type=TYPES[(step + n) % 4],
        )
        for n in range(1 + step % 4)
    )
    items = [
        QuarantineItem(
            f"k{step}-{n}",
            {"n": n},
            CATEGORIES[(step * n) % 3],
            error_type=TYPES[(step + n) % 4],
            fingerprint=f"{(step + n) % 3:016x}" if (step * n) % 4 else None,
        )
        for n in range(step % 3 + 1)
    ]
    if not legacy:
        QuarantineRepository(db).add(identity, items)
        return
    # A schema before the error signatures (5b8d3f0e2a17): the type still on the row.
    legacy_q = table(
        "errorguard_quarantine",
        *(column(c.name, c.type) for c in q.c if c.name != "signature_key"),
        column("error_type", String(250)),
    )
    now = db.clock()
    rows = [
        {
            **identity.as_columns(),
            "record_key": item.record_key,
            "payload_bytes": 0,
            "payload_truncated": False,
            "error_category": item.error_category,
            "error_type": item.error_type,
            "fingerprint": item.fingerprint,
            "status": "quarantined",
            "created_at": now,
            "updated_at": now,
        }
        for item in items
    ]
    # Its timestamps are text on SQLite too (b81c4e6f2d95 comes later).
    with legacy_text_timestamps(), db.transaction("writing legacy rows") as conn:
        conn.execute(insert(legacy_q), rows)


def _write_hours(
    db: Database, clock: FakeClock, steps: range, minutes: int = 37, *, legacy: bool = False
) -> None:
    for step in steps:
        _write(db, step, legacy=legacy)
        clock.advance(minutes=minutes)


def _raw(db: Database, source: Source, buckets: trends.Buckets, by: trends.Dimension) -> list[trends.Series]:
    """The picture computed from the raw rows only (what the charts showed before the rollup)."""
    table = q if source == "quarantine" else e
    dimension = table.c.dag_id if by == "dag" else table.c.error_category
    return trends._top(trends._grouped(db, table, dimension, buckets, clauses=[], what="reference"))


def _assert_pictures_exact(db: Database) -> None:
    for name in trends.RANGES:
        buckets = trends.Buckets.of_range(db.clock(), name)
        for source in ("quarantine", "failures"):
            for by in ("dag", "category"):
                got = trends.over_time(db, source, buckets, by=by, dag_ids=None)  # type: ignore[arg-type]
                assert got == _raw(db, source, buckets, by), (name, source, by)  # type: ignore[arg-type]
        one = trends.over_time(db, "failures", buckets, by="category", dag_ids=["orders"])
        ref = trends._top(
            trends._grouped(
                db, e, e.c.error_category, buckets, clauses=[e.c.dag_id.in_(["orders"])], what="reference"
            )
        )
        assert one == ref
    _assert_fingerprint_figures_exact(db)


def _raw_patterns(db: Database, since: datetime, until: datetime | None, dag_id: str | None) -> list:
    """The top patterns from the raw rows only (what ``stats.top_patterns`` read before the rollup)."""
    n = func.count().label("n")
    window = [e.c.created_at >= since, e.c.fingerprint.is_not(None)]
    window += [e.c.created_at < until] if until is not None else []
    window += [e.c.dag_id == dag_id] if dag_id is not None else []
    stmt = (
        select(
            e.c.fingerprint,
            n,
            func.min(e.c.created_at),
            func.max(e.c.created_at),
            func.max(e.c.error_category),
            func.max(e.c.exception_type),
            func.count(func.distinct(e.c.dag_id)),
        )
        .where(*window)
        .group_by(e.c.fingerprint)
        .order_by(n.desc(), e.c.fingerprint)
        .limit(20)
    )
    with db.transaction("reference", write=False) as conn:
        rows = conn.execute(stmt).all()
    return [
        stats.Pattern(fp, int(c), rollup.aware(a), rollup.aware(b), str(cat), t, int(d))
        for fp, c, a, b, cat, t, d in rows
    ]


def _raw_budgets(db: Database, since: datetime, until: datetime | None, dag_id: str | None) -> list:
    n = func.count().label("n")
    window = [e.c.created_at >= since] + ([e.c.created_at < until] if until is not None else [])
    window += [e.c.dag_id == dag_id] if dag_id is not None else []
    stmt = select(e.c.dag_id, n).where(*window).group_by(e.c.dag_id).order_by(n.desc(), e.c.dag_id)
    with db.transaction("reference", write=False) as conn:
        return [stats.BudgetStatus(d, int(c), 5) for d, c in conn.execute(stmt).all()]


def _assert_fingerprint_figures_exact(db: Database) -> None:
    """Top patterns, budgets, sparklines and quarantine rows per fingerprint equal the raw figures."""
    now = db.clock()
    fps = [f"{n:016x}" for n in range(4)] + ["ffffffffffffffff"]
    for since, until in (
        (now - timedelta(hours=24), None),
        (now - timedelta(days=7, minutes=17), None),
        (now - timedelta(days=30), now - timedelta(hours=5, minutes=20)),
        (now - timedelta(hours=2, minutes=3), now + timedelta(minutes=40)),
    ):
        for dag_id in (None, "orders"):
            got = stats.top_patterns(db, since, until, dag_id=dag_id)
            assert got == _raw_patterns(db, since, until, dag_id), (since, until, dag_id)
            budgets = stats.error_budget(db, since, until, budget=5, dag_id=dag_id)
            assert budgets == _raw_budgets(db, since, until, dag_id)
        buckets = trends.Buckets.covering(since, until or now)
        for dag_id in (None, "billing"):
            lines = trends.fingerprint_sparklines(db, fps, buckets, dag_id=dag_id)
            clauses = [e.c.fingerprint.in_(fps)] + ([e.c.dag_id == dag_id] if dag_id else [])
            ref = trends._grouped(db, e, e.c.fingerprint, buckets, clauses=clauses, what="reference")
            assert lines == {fp: ref.get(fp, [0] * len(buckets)) for fp in fps}
    for dag_id in (None, "orders"):
        last = trends.last_failures(db, fps, dag_id=dag_id)
        newest = select(e.c.fingerprint, func.max(e.c.created_at)).where(e.c.fingerprint.in_(fps))
        if dag_id:
            newest = newest.where(e.c.dag_id == dag_id)
        with db.transaction("reference", write=False) as conn:
            ref_last = dict(conn.execute(newest.group_by(e.c.fingerprint)).all())
        assert {fp: f.created_at for fp, f in last.items()} == ref_last, dag_id
        assert list(last) == [fp for fp in fps if fp in ref_last]  # in the order asked
        assert all(dag_id in (None, f.dag_id) for f in last.values())
    for dag_ids in (None, ["crm"], []):
        got_q = trends.quarantined_per_fingerprint(db, fps, dag_ids=dag_ids)
        scope = [q.c.dag_id.in_(dag_ids)] if dag_ids is not None else []
        stmt = select(q.c.fingerprint, func.count()).where(q.c.fingerprint.in_(fps), *scope)
        with db.transaction("reference", write=False) as conn:
            ref_q = {fp: n for fp, n in conn.execute(stmt.group_by(q.c.fingerprint)).all()}
        assert got_q == ref_q, dag_ids


def _assert_rollup_exact(db: Database) -> None:
    """Every hour the rollup holds equals the raw rows grouped per hour, DAG and category."""
    for source in rollup.SOURCES:
        with db.transaction("checking the rollup", write=False) as conn:
            held_from, held_until = rollup.filled(conn, source)
            if held_from is None or held_until is None:
                continue
            raw = rollup.raw_counts(conn, source, held_from, held_until)
            stored = conn.execute(
                select(h.c.hour, h.c.dag_id, h.c.category, h.c.count).where(h.c.source == source)
            ).all()
        assert {(rollup.hour_start(t), d, c): n for t, d, c, n in stored} == raw, source
        assert all(n > 0 for n in raw.values())
        with db.transaction("checking the fingerprint rollup", write=False) as conn:
            raw_fp = rollup.raw_fingerprints(conn, source, held_from, held_until)
            cols = (hf.c.hour, hf.c.dag_id, hf.c.fingerprint, hf.c.category, hf.c["count"])
            more = (hf.c.first_at, hf.c.last_at, hf.c.error_type)
            stored_fp = conn.execute(select(*cols, *more).where(hf.c.source == source)).all()
        got = {(rollup.hour_start(t), d, f, c): (n, a, b, x) for t, d, f, c, n, a, b, x in stored_fp}
        assert got == raw_fp, source
        with_fp = (
            select(func.count())
            .select_from(rollup.SOURCES[source])
            .where(
                rollup.SOURCES[source].c.fingerprint.is_not(None),
                rollup.SOURCES[source].c.created_at >= held_from,
                rollup.SOURCES[source].c.created_at < held_until,
            )
        )
        with db.transaction("counting", write=False) as conn:
            assert sum(v[0] for v in raw_fp.values()) == conn.execute(with_fp).scalar_one()


def test_counts_match_the_raw_rows_across_hours(db: Database, clock: FakeClock) -> None:
    clock.now = clock.now.replace(minute=13)
    _write_hours(db, clock, range(0, 30))
    with db.pinned_reads():  # as a page reads: one connection for the reads, the fills on their own
        _assert_pictures_exact(db)  # first read: fills the finished hours
    _assert_rollup_exact(db)
    with db.transaction("reading", write=False) as conn:
        held_from, held_until = rollup.filled(conn, "event")
    assert held_until == rollup.horizon(clock())
    # From the 30-day picture's start, or before: the sparklines' buckets start at a whole hour.
    assert held_from is not None and held_from <= trends.Buckets.of_range(clock(), "30d").start
    # More writes, live and then finished hours; the clock passes the grace of an hour's end.
    _write_hours(db, clock, range(30, 50), minutes=11)
    _assert_pictures_exact(db)
    clock.now = clock.now.replace(minute=5) + timedelta(hours=1)
    _write(db, 51)
    _assert_pictures_exact(db)  # 5 minutes past the hour: the hour before is still live
    # A write stamped before the hour ended and committed after this read (a slow transaction).
    late = Database(db.engine, clock=lambda: clock() - timedelta(minutes=7))
    _write(late, 52)
    _assert_pictures_exact(db)
    clock.advance(minutes=10)
    _assert_pictures_exact(db)
    _assert_rollup_exact(db)
    clock.advance(days=40)  # everything old: the 30-day picture reads empty hours from the rollup
    _assert_pictures_exact(db)
    _assert_rollup_exact(db)


def test_purges_keep_the_rollup_exact(db: Database, clock: FakeClock) -> None:
    _write_hours(db, clock, range(0, 40), minutes=23)
    clock.advance(hours=2)
    _assert_pictures_exact(db)
    cut = clock() - timedelta(hours=9, minutes=17)  # inside an hour the rollup holds
    assert ErrorEventRepository(db).purge(cut) > 0
    _assert_rollup_exact(db)
    _assert_pictures_exact(db)
    repo = QuarantineRepository(db)
    ids = [r.id for r in repo.page(None, limit=1000).items]
    repo.discard(ids[::2], actor="tester")
    clock.advance(minutes=1)
    assert repo.purge(clock(), batch_size=7) > 0  # several batches, each recounting its hours
    _assert_rollup_exact(db)
    _assert_pictures_exact(db)


def test_orphan_removal_keeps_the_rollup_exact(db: Database, clock: FakeClock) -> None:
    _write_hours(db, clock, range(0, 12), minutes=50)
    clock.advance(hours=1)
    _assert_pictures_exact(db)
    dag_run = Table("dag_run", MetaData(), Column("dag_id", String(250)), Column("run_id", String(250)))
    dag_run.create(db.engine, checkfirst=True)
    try:
        with db.transaction("adding runs") as conn:
            conn.execute(dag_run.delete())
            live = [{"dag_id": DAGS[s % 3], "run_id": f"run-{s}"} for s in range(0, 12, 2)]
            conn.execute(insert(dag_run), live)
        assert OrphanRepository(db).purge(actor="tester").total > 0
        _assert_rollup_exact(db)
        _assert_pictures_exact(db)
    finally:
        dag_run.drop(db.engine)


def test_concurrent_fills_and_a_purge_agree(db: Database, clock: FakeClock) -> None:
    _write_hours(db, clock, range(0, 60), minutes=29)
    clock.advance(hours=1)
    readers = 4
    barrier = threading.Barrier(readers + 1)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            barrier.wait(timeout=30)
            buckets = trends.Buckets.of_range(clock(), "7d")
            trends.over_time(db, "failures", buckets, by="dag", dag_ids=None)
            trends.over_time(db, "quarantine", buckets, by="category", dag_ids=None)
            # Fills of the fingerprint reads: from the oldest row (quarantine), over 3 days (events).
            trends.quarantined_per_fingerprint(db, [f"{n:016x}" for n in range(3)], dag_ids=None)
            stats.top_patterns(db, clock() - timedelta(days=3, minutes=7))
        except BaseException as err:  # reported below
            errors.append(err)

    def purge() -> None:
        try:
            barrier.wait(timeout=30)
            ErrorEventRepository(db).purge(clock() - timedelta(hours=13, minutes=40))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=read) for _ in range(readers)] + [threading.Thread(target=purge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    _assert_rollup_exact(db)
    _assert_pictures_exact(db)
    with db.transaction("counting", write=False) as conn:
        assert conn.execute(select(func.count()).select_from(h)).scalar_one() > 0


def test_the_memo_of_summed_hours_lasts_one_generation(db: Database, clock: FakeClock) -> None:
    _write_hours(db, clock, range(0, 30), minutes=41)
    clock.advance(hours=2)
    buckets = trends.Buckets.of_range(clock(), "7d")
    first = trends.over_time(db, "failures", buckets, by="dag", dag_ids=None)
    assert first == _raw(db, "failures", buckets, "dag")
    with db.transaction("reading", write=False) as conn:
        kept = rollup_memo.generation(conn, "event")
    assert kept is not None
    # A change nothing recounted (no lock, so no new generation) is not seen: the sums are kept...
    with db.transaction("tampering") as conn:
        conn.execute(update(h).where(h.c.source == "event").values(count=h.c.count + 1))
    assert trends.over_time(db, "failures", buckets, by="dag", dag_ids=None) == first
    # ...until something recounts (every recount locks the state row first, bumping it).
    with db.transaction("recounting") as conn:
        held_from, held_until = rollup.lock(conn, "event")
        assert held_from is not None and held_until is not None
        rollup.fill(conn, "event", held_from, held_until)
    with db.transaction("reading", write=False) as conn:
        assert (rollup_memo.generation(conn, "event") or 0) > kept
    _assert_pictures_exact(db)
    # A purge inside held hours, and a state row made again (a reset database): read afresh.
    assert ErrorEventRepository(db).purge(clock() - timedelta(hours=7, minutes=13)) > 0
    _assert_pictures_exact(db)
    with db.transaction("resetting") as conn:
        conn.execute(delete(s))
        conn.execute(delete(h))
        conn.execute(delete(hf))
    _assert_pictures_exact(db)
    _assert_rollup_exact(db)


@pytest.mark.unit
def test_the_migration_backfills_the_stored_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "8ea01854ad48")
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(days=3))
    old = Database(create_storage_engine(url, pooled=False), clock=clock)
    _write_hours(old, clock, range(0, 20), minutes=190, legacy=True)  # the last write ~9 hours ago
    assert upgrade(url) == head_revision()
    db = Database(create_storage_engine(url, pooled=False))
    with db.transaction("reading", write=False) as conn:
        held_from, held_until = rollup.filled(conn, "quarantine")
        stored = conn.execute(select(func.sum(h.c.count)).where(h.c.source == "quarantine")).scalar_one()
        raw = conn.execute(select(func.count()).select_from(q)).scalar_one()
    assert held_from == rollup.floor_hour(now - timedelta(days=3))
    assert held_until is not None and held_until >= rollup.horizon(now)
    assert stored == raw > 0
    _assert_rollup_exact(db)
    _assert_pictures_exact(db)
    old.engine.dispose()
    db.engine.dispose()
