"""Quarantine contract (every backend): idempotent bulk insert, keyset pages, transitions, purge."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from airflow_errorguard.storage import bulk, quarantine
from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.payload import PayloadPolicy
from airflow_errorguard.storage.quarantine import QuarantineRepository, storage_key
from airflow_errorguard.storage.quarantine_types import QuarantineFilter, QuarantineItem
from airflow_errorguard.storage.tables import quarantine_table
from tests.storage.helpers import FakeClock

TASK = TaskIdentity("etl", "load", "manual__1", try_number=1)


def items(
    keys: range | list[int], *, category: str = "data", fingerprint: str = "fp-a"
) -> list[QuarantineItem]:
    return [
        QuarantineItem(
            record_key=f"order-{k}",
            payload={"id": k, "amount": k * 1.5},
            error_category=category,
            error_type="builtins.ValueError",
            error_message=f"bad amount in order {k}",
            traceback="Traceback ...",
            fingerprint=fingerprint,
            reason="ValueError means the input is bad",
        )
        for k in keys
    ]


def count_rows(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(quarantine_table)).scalar_one())


def test_bulk_insert_is_idempotent_per_task_instance_and_key(db: Database) -> None:
    repo = QuarantineRepository(db)
    first = repo.add(TASK, items(range(10)))
    assert (first.inserted, first.duplicates) == (10, 0)
    # The retried try (try_number 2) re-submits overlapping records: only the new ones land.
    retry = repo.add(TaskIdentity("etl", "load", "manual__1", try_number=2), items(range(5, 15)))
    assert (retry.inserted, retry.duplicates, retry.submitted) == (5, 5, 10)
    # Duplicates inside one batch: the first occurrence wins.
    dup = repo.add(TASK, [QuarantineItem("x", {"v": 1}), QuarantineItem("x", {"v": 2})])
    assert (dup.inserted, dup.duplicates) == (1, 1)
    assert count_rows(db) == 16
    x = repo.page(QuarantineFilter(fingerprint=None), limit=1).items[0]
    assert repo.get(x.id) is not None
    assert json.loads(repo.get(x.id).payload or "null") == {"v": 1}  # type: ignore[union-attr]
    # The same keys in another map index are different records; another run meeting them again
    # while they are open with the same fingerprint counts them (stores them with count_repeats=False).
    mapped = repo.add(TaskIdentity("etl", "load", "manual__1", map_index=0), items(range(3)))
    other = repo.add(TaskIdentity("etl", "load", "manual__2"), items(range(3)))
    assert (mapped.inserted, other.inserted, other.repeated) == (3, 0, 3)
    stored = repo.add(TaskIdentity("etl", "load", "manual__2"), items(range(3)), count_repeats=False)
    assert stored.inserted == 3
    assert repo.add(TASK, []).submitted == 0


def test_large_batch_takes_the_bulk_path_and_counts_exactly(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "COPY_THRESHOLD", 50)  # PostgreSQL: COPY path without 2,000 rows
    monkeypatch.setattr(quarantine, "CHUNK_SIZE", 33)  # several chunks, duplicates across them
    repo = QuarantineRepository(db)
    assert repo.add(TASK, items(range(0, 120))).inserted == 120
    result = repo.add(TASK, items(range(60, 200)))
    assert (result.inserted, result.duplicates) == (80, 60)
    assert count_rows(db) == 200
    # Values survive the trip, including tabs, newlines and backslashes (COPY escaping).
    tricky = QuarantineItem("tab\tkey\\1", {"s": "line1\nline2\t\\"}, error_message="a\tb\nc\\d")
    repo.add(TASK, [tricky, *items(range(500, 560))])
    row = repo.page(QuarantineFilter(dag_id="etl", task_id="load"), limit=1000, include_payload=True).items
    stored = next(r for r in row if r.record_key == "tab\tkey\\1")
    assert stored.payload_value() == {"s": "line1\nline2\t\\"}
    assert stored.error_message == "a\tb\nc\\d"


def test_columns_round_trip(db: Database, clock: FakeClock) -> None:
    repo = QuarantineRepository(db, PayloadPolicy(max_bytes=1024, redact_fields=frozenset({"card"})))
    repo.add(
        TASK, [QuarantineItem("k1", {"card": "4111", "blob": "x" * 4000}, "data", "m.E", "msg\x00", "tb")]
    )
    row = repo.page(include_payload=True).items[0]
    assert (row.dag_id, row.task_id, row.run_id, row.map_index, row.try_number) == (
        "etl",
        "load",
        "manual__1",
        -1,
        1,
    )
    assert row.status == "quarantined"
    assert row.created_at == row.updated_at == clock.now
    assert row.created_at.tzinfo is not None
    assert row.payload_truncated and row.payload_bytes > 4000
    assert len(row.payload or "") <= 1024
    assert "4111" not in (row.payload or "")
    assert row.error_message == "msg\ufffd"
    assert row.traceback == "tb"
    assert (row.resolved_at, row.resolved_by) == (None, None)


def test_long_record_keys_are_hashed_deterministically(db: Database) -> None:
    repo = QuarantineRepository(db)
    key = "k" * 500
    assert repo.add(TASK, [QuarantineItem(key, 1)]).inserted == 1
    assert repo.add(TASK, [QuarantineItem(key, 2)]).inserted == 0
    assert repo.page().items[0].record_key == storage_key(key)
    assert storage_key(key).startswith("sha256:") and storage_key("short") == "short"


def test_keyset_pagination_with_filters_visits_every_row_once(db: Database, clock: FakeClock) -> None:
    repo = QuarantineRepository(db)
    repo.add(TASK, items(range(0, 40), fingerprint="fp-a"))
    clock.advance(hours=1)
    repo.add(
        TaskIdentity("etl", "other", "manual__1"),
        items(range(0, 25), category="transient", fingerprint="fp-b"),
    )
    repo.add(TaskIdentity("crm", "sync", "manual__1"), items(range(0, 15), fingerprint="fp-c"))

    def walk(flt: QuarantineFilter, newest_first: bool = True) -> list[int]:
        seen: list[int] = []
        cursor = None
        while True:
            page = repo.page(flt, limit=7, after=cursor, newest_first=newest_first)
            seen.extend(r.id for r in page.items)
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor

    everything = walk(QuarantineFilter())
    assert len(everything) == len(set(everything)) == 80
    assert everything == sorted(everything, reverse=True)
    assert walk(QuarantineFilter(), newest_first=False) == sorted(everything)
    assert len(walk(QuarantineFilter(dag_id="etl"))) == 65
    assert len(walk(QuarantineFilter(dag_id="etl", task_id="other"))) == 25
    assert len(walk(QuarantineFilter(error_category="transient"))) == 25
    assert len(walk(QuarantineFilter(fingerprint="fp-c"))) == 15
    assert len(walk(QuarantineFilter(created_after=clock.now))) == 40
    assert len(walk(QuarantineFilter(created_before=clock.now))) == 40
    assert repo.count(QuarantineFilter(dag_id="etl", statuses=("quarantined",))) == 65
    assert repo.page(QuarantineFilter(statuses=("released",))).items == []
    with pytest.raises(ValueError, match="unknown status 'lost'"):
        QuarantineFilter(statuses=("lost",))
    with pytest.raises(ValueError, match="limit"):
        repo.page(limit=0)


def test_transitions_write_audit_rows_and_skip_forbidden_moves(db: Database, clock: FakeClock) -> None:
    repo = QuarantineRepository(db)
    repo.add(TASK, items(range(4)))
    ids = sorted(r.id for r in repo.page().items)
    clock.advance(minutes=5)
    released = repo.release(ids[:2], actor="alice", note="fixed upstream")
    assert released.changed == ids[:2] and released.skipped == {}
    replayed = repo.mark_replayed([ids[0]], actor="replayer")
    assert replayed.changed == [ids[0]]
    discarded = repo.discard([ids[0], ids[2], 10_000_000], actor="bob")
    assert discarded.changed == [ids[2]]
    assert discarded.skipped == {ids[0]: "replayed -> discarded", 10_000_000: "not found"}
    back = repo.transition([ids[2]], "quarantined", actor="bob")
    assert back.changed == [ids[2]]

    done = repo.get(ids[0])
    assert done is not None and done.status == "replayed"
    assert (done.resolved_by, done.resolved_at, done.note) == ("replayer", clock.now, None)
    requeued = repo.get(ids[2])
    assert requeued is not None and (requeued.status, requeued.resolved_at) == ("quarantined", None)
    history = AuditRepository(db).history("quarantine", ids[0])
    assert [(h.action, h.actor, h.state_before, h.state_after) for h in history] == [
        ("replay", "replayer", {"status": "released"}, {"status": "replayed"}),
        ("release", "alice", {"status": "quarantined"}, {"status": "released"}),
    ]
    assert history[1].note == "fixed upstream"
    with pytest.raises(ValueError, match="unknown quarantine status"):
        repo.transition(ids, "deleted", actor="x")
    with pytest.raises(ValueError, match="actor"):
        repo.release(ids, actor="")


def test_purge_by_age_and_status(db: Database, clock: FakeClock) -> None:
    repo = QuarantineRepository(db)
    repo.add(TASK, items(range(30)))
    ids = sorted(r.id for r in repo.page(limit=100).items)
    repo.discard(ids[:20], actor="bob")
    repo.mark_replayed(ids[20:25], actor="bob")
    clock.advance(days=40)
    repo.discard(ids[25:27], actor="bob")  # resolved recently: kept
    cutoff = clock.now - timedelta(days=30)
    assert repo.purge(cutoff, batch_size=7) == 25
    left = {r.id: r.status for r in repo.page(limit=100).items}
    assert set(left) == set(ids[25:])
    assert repo.purge(cutoff) == 0
    purge_audit = AuditRepository(db).history("quarantine", "*")
    assert purge_audit[0].action == "purge" and purge_audit[0].state_after["deleted"] == 25
    with pytest.raises(ValueError, match="statuses"):
        repo.purge(cutoff, statuses=("gone",))


@pytest.mark.postgres
@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_postgres_copy_path_with_both_drivers(
    postgres_storage_url: str, driver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.engine import make_url

    from airflow_errorguard.storage.engine import get_engine
    from tests.storage.helpers import empty_tables

    empty_tables(postgres_storage_url)
    url = make_url(postgres_storage_url).set(drivername=f"postgresql+{driver}")
    repo = QuarantineRepository(Database(get_engine(url), conn_id="pg"))
    monkeypatch.setattr(quarantine, "CHUNK_SIZE", 700)
    assert repo.add(TASK, items(range(2500))).inserted == 2500  # >= COPY_THRESHOLD: COPY, 4 chunks
    assert repo.add(TASK, items(range(2000, 4500))).inserted == 2000
    assert repo.count() == 4500
    # One record already stored, in whichever chunk it sorts into: the straight COPY is rolled
    # back and the whole batch goes the careful way (chunks read ahead included).
    again = repo.add(TASK, items(range(4499, 7000)))
    assert (again.inserted, again.duplicates) == (2500, 1)
    assert repo.count() == 7000
    # The rows the straight COPY wrote carry the task's columns, typed as the careful way's.
    mapped = TaskIdentity("etl", "load", "manual__9", map_index=3, try_number=2)
    assert repo.add(mapped, items(range(2100)), count_repeats=False).inserted == 2100
    page = repo.page(QuarantineFilter(run_id="manual__9"), limit=5, include_payload=True).items
    ref = repo.page(QuarantineFilter(run_id="manual__1"), limit=1, include_payload=True).items[0]
    for row in page:
        assert (row.map_index, row.try_number, row.status) == (3, 2, "quarantined")
        assert row.created_at.tzinfo is not None and row.created_at == row.updated_at
        assert (row.error_type, row.reason, row.traceback) == (ref.error_type, ref.reason, ref.traceback)
        assert row.payload_value()["id"] == int(row.record_key.removeprefix("order-"))
