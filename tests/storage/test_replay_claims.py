"""
Replay exactly once: claims on released rows, taken over from dead runs, settled with the sink.

Concurrent replay runs are real processes on SQLite and PostgreSQL (MariaDB when reachable); one
of them is SIGKILLed mid-batch and its next try takes its claims over.
"""

from __future__ import annotations

import multiprocessing
import queue
from typing import Any

import pytest
import sqlalchemy as sa

from airflow_errorguard.guard.replay import ReplayStore
from airflow_errorguard.guard.store import Progress
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.replay_claims import ClaimLost, claim, settle
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q
from tests.storage import replay_worker as w
from tests.storage.helpers import FakeClock

RECORDS = 120
BAD = {n for n in range(RECORDS) if n % 7 == 0}


def _seed(db: Database, count: int = RECORDS) -> list[int]:
    repo = QuarantineRepository(db)
    items = [QuarantineItem(f"r{n}", {"n": n}, "data") for n in range(count)]
    repo.add(TaskIdentity("source", "load", "manual__1"), items)
    with db.transaction("ids", write=False) as conn:
        ids = list(conn.execute(sa.select(q.c.id).order_by(q.c.id)).scalars())
    repo.transition(ids, "released", actor="ops")
    with db.transaction("sink table") as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {w.SINK_TABLE}")
        conn.exec_driver_sql(f"CREATE TABLE {w.SINK_TABLE} (n INTEGER NOT NULL, replayed_by VARCHAR(250))")
    return ids


def _assert_exactly_once(db: Database) -> dict[str, int]:
    """Each good record in the sink once, every row settled once, one audit row per settle."""
    with db.transaction("check", write=False) as conn:
        sink = conn.execute(sa.text(f"SELECT n, COUNT(*) FROM {w.SINK_TABLE} GROUP BY n ORDER BY n")).all()
        statuses = dict(conn.execute(sa.select(q.c.status, sa.func.count()).group_by(q.c.status)).all())
        failed_again = conn.execute(sa.select(q.c.record_key).where(q.c.status == "quarantined")).scalars()
        others = conn.execute(
            sa.select(q.c.id, q.c.record_key, q.c.status, q.c.claimed_by, q.c.claim_try).where(
                q.c.status.not_in(["quarantined", "replayed"])
            )
        ).all()
        assert sorted(int(k[1:]) for k in failed_again) == sorted(BAD), (
            "exactly the bad ones went back",
            others,
        )
        claimed = conn.execute(sa.select(sa.func.count()).where(q.c.claimed_by.is_not(None))).scalar()
        audits = conn.execute(
            sa.text(
                "SELECT entity_id, COUNT(*) FROM errorguard_audit "
                "WHERE action IN ('replay', 'requarantine') GROUP BY entity_id"
            )
        ).all()
    assert [n for n, _ in sink] == sorted(set(range(RECORDS)) - BAD), "every good record reached the sink"
    assert {c for _, c in sink} == {1}, "exactly once"
    assert statuses == {"replayed": RECORDS - len(BAD), "quarantined": len(BAD)}
    assert claimed == 0, "no claim left behind"
    assert len(audits) == RECORDS and {c for _, c in audits} == {1}, "each row settled (and audited) once"
    return statuses


def _spawn(url: str, runs: list[tuple[str, int, int | None]]) -> tuple[list[Any], Any, Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(runs)), ctx.Queue()
    procs = [
        ctx.Process(target=w.run, args=(url, run_id, try_number, kill, barrier, results), daemon=True)
        for run_id, try_number, kill in runs
    ]
    for proc in procs:
        proc.start()
    return procs, results, barrier  # the barrier must outlive the children's start-up


def _reports(procs: list[Any], results: Any, expected: int) -> list[dict[str, Any]]:
    reports = []
    try:
        for _ in range(expected):
            reports.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail(f"only {len(reports)} of {expected} replay runs reported: {reports}")
    finally:
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
    errors = [r["error"] for r in reports if r["error"]]
    assert not errors, "\n".join(errors)
    return reports


def test_overlapping_replay_runs_process_each_record_once(storage_url: str, db: Database) -> None:
    _seed(db)
    procs, results, _barrier = _spawn(storage_url, [(f"manual__{i}", 1, None) for i in range(3)])
    reports = _reports(procs, results, 3)
    assert all(p.exitcode == 0 for p in procs)
    assert sum(r["replayed"] for r in reports) == RECORDS - len(BAD), reports
    assert sum(r["failed"] for r in reports) == len(BAD), reports
    _assert_exactly_once(db)


def test_sigkill_mid_replay_leaves_nothing_twice(storage_url: str, db: Database) -> None:
    _seed(db)
    procs, _results, _barrier = _spawn(storage_url, [("manual__a", 1, 25)])
    procs[0].join(timeout=120)
    assert procs[0].exitcode == -9, "run a died by SIGKILL in its third batch"
    with db.transaction("claims", write=False) as conn:
        held = conn.execute(sa.select(sa.func.count()).where(q.c.claimed_by.is_not(None))).scalar()
    assert held == 10, "its third batch stays claimed"
    # a's next try (takes a's claims over at once) and another run b, at the same time.
    procs, results, _barrier = _spawn(storage_url, [("manual__a", 2, None), ("manual__b", 1, None)])
    reports = _reports(procs, results, 2)
    _assert_exactly_once(db)
    moved = sum(r["replayed"] + r["failed"] for r in reports)
    assert moved == RECORDS - 20, ("a settled 20 rows before it died", reports)


def test_claims_of_a_live_run_are_left_alone_until_the_lease_expires(db: Database, clock: FakeClock) -> None:
    ids = _seed(db, 5)
    first, other = w.claimant("manual__1", lease=60), w.claimant("manual__2", lease=60)
    assert [r.id for r in claim(db, first, [], 3)] == ids[:3]
    assert [r.id for r in claim(db, other, [], 10)] == ids[3:], "only unclaimed rows"
    assert claim(db, other, [], 10) == []
    clock.advance(seconds=30)
    late = w.claimant("manual__3", lease=60)
    assert claim(db, late, [], 10) == []
    clock.advance(seconds=31)
    assert [r.id for r in claim(db, late, [], 10)] == ids, "an expired lease frees the rows"


def test_an_empty_claim_waits_for_locked_rows_only_it_may_take(db: Database) -> None:
    """A dead try's claims, locked for a moment by another run's scan, are not left to the lease."""
    if db.backend == "sqlite":
        pytest.skip("SQLite locks the whole database: a claim waits for the lock, it never skips a row")
    ids = _seed(db, 5)
    dead, retry, other = w.claimant("manual__a", 1), w.claimant("manual__a", 2), w.claimant("manual__b")
    assert len(claim(db, dead, [], 5)) == 5
    assert claim(db, other, [], 5, wait=_never) == [], "the live rows of another task end the claim at once"
    locker = db.engine.connect()
    tx = locker.begin()
    locker.execute(sa.select(q.c.id).where(q.c.id.in_(ids)).with_for_update()).all()
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        tx.commit()  # the other scan ends
        locker.close()

    try:
        assert [r.id for r in claim(db, retry, [], 5, wait=wait)] == ids, "taken over after the wait"
    finally:
        locker.close()
    assert len(waits) == 1


def _never(seconds: float) -> None:
    raise AssertionError("claim() waited though no row was free for it")


def test_a_run_that_lost_its_claims_changes_nothing(db: Database, clock: FakeClock) -> None:
    ids = _seed(db, 4)
    slow, fast = w.claimant("manual__slow", lease=60), w.claimant("manual__fast", lease=60)
    claim(db, slow, [], 4)
    clock.advance(seconds=120)
    claim(db, fast, [], 4)
    with pytest.raises(ClaimLost), db.transaction("settle") as conn:
        settle(conn, slow, clock(), ids, {})
    store = ReplayStore(db, slow, [], 4)
    store._handed = list(ids)
    store.commit([], Progress(position=4), 0, outputs=[{"n": 0}] * 4)
    assert (store.replayed, store.lost) == (0, 4), "nothing counted that this run did not move"
    with db.transaction("check", write=False) as conn:
        assert set(conn.execute(sa.select(q.c.status)).scalars()) == {"released"}


def test_discarding_a_claimed_row_clears_the_claim(db: Database) -> None:
    ids = _seed(db, 2)
    claim(db, w.claimant("manual__1"), [], 2)
    QuarantineRepository(db).transition([ids[0]], "discarded", actor="ops")
    row = QuarantineRepository(db).get(ids[0])
    assert row is not None and (row.status, row.claimed_by) == ("discarded", None)
    with db.transaction("settle") as conn, pytest.raises(ClaimLost):
        settle(conn, w.claimant("manual__1"), db.clock(), [ids[0]], {})


def test_rows_the_sink_rejects_go_back_to_quarantine(storage_url: str, db: Database) -> None:
    _seed(db, 10)
    with db.transaction("strict sink") as conn:
        conn.exec_driver_sql(f"DROP TABLE {w.SINK_TABLE}")
        conn.exec_driver_sql(
            f"CREATE TABLE {w.SINK_TABLE} (n INTEGER NOT NULL CHECK (n <> 3), replayed_by VARCHAR(250))"
        )
    store = w.replay(storage_url, w.claimant("manual__1"))
    assert (store.replayed, store.failed) == (7, 3)  # 0 and 7 fail in process, 3 at load
    with db.transaction("check", write=False) as conn:
        sunk = sorted(conn.execute(sa.text(f"SELECT n FROM {w.SINK_TABLE}")).scalars())
        back = conn.execute(sa.select(q.c.record_key, q.c.note).where(q.c.status == "quarantined")).all()
    assert sunk == [1, 2, 4, 5, 6, 8, 9]
    assert sorted(k for k, _ in back) == ["r0", "r3", "r7"]
    assert all(note.startswith("replay failed: ") for _, note in back)


def test_the_replay_operator_resolves_a_short_fingerprint_or_fails_clearly(db: Database) -> None:
    """The 8-character form the UI shows replays its rows; an ambiguous or unknown one fails the task."""
    from types import SimpleNamespace

    from airflow_errorguard.compat import AirflowFailException
    from airflow_errorguard.operators.replay import QuarantineReplayOperator

    items = [QuarantineItem(f"r{n}", {"n": n}, "data", fingerprint=fp) for n, fp in enumerate(FINGERPRINTS)]
    QuarantineRepository(db).add(TaskIdentity("source", "load", "manual__1"), items)
    hook: Any = SimpleNamespace(quarantine=QuarantineRepository(db))

    def resolved(fingerprint: str, dag_id: str | None = "source") -> str | None:
        op = QuarantineReplayOperator(
            task_id="replay", process=lambda p: p, source_dag_id=dag_id, fingerprint=fingerprint
        )
        return op._full_fingerprint(hook)

    assert resolved(FINGERPRINTS[0]) == FINGERPRINTS[0]
    assert resolved(FINGERPRINTS[2][:8]) == FINGERPRINTS[2], "a unique prefix is made whole"
    with pytest.raises(AirflowFailException, match="ambiguous"):
        resolved("abcdef12")
    with pytest.raises(AirflowFailException, match="no quarantined record"):
        resolved("0000000000")
    with pytest.raises(AirflowFailException, match="6"):
        resolved(FINGERPRINTS[2][:4])
    with pytest.raises(AirflowFailException, match="no quarantined record"):
        resolved(FINGERPRINTS[2][:8], dag_id="another_dag")


FINGERPRINTS = ["abcdef12" + "0" * 8, "abcdef12" + "1" * 8, "9f8e7d6c5b4a3210"]
