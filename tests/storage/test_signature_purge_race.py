"""
A purge and a writer meet on one error signature, on PostgreSQL with two real connections: no
quarantine row is ever left without its signature (type, reason, traceback).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from airflow_errorguard.storage import signatures
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.tables import error_signature_table as sig
from airflow_errorguard.storage.tables import quarantine_table as q
from airflow_errorguard.storage.unit_of_work import UnitOfWork
from tests.storage.helpers import FakeClock, migrated_url

pytestmark = pytest.mark.postgres

OLD = TaskIdentity("etl", "load", "manual__old", try_number=1)
NEW = TaskIdentity("etl", "load", "manual__new", try_number=1)
TRACE = 'Traceback (most recent call last):\n  File "etl.py", line 7, in parse\nValueError: bad value\n'


def item(key: str) -> QuarantineItem:
    return QuarantineItem(key, {"k": key}, "data", "builtins.ValueError", "bad value", TRACE, "fp", "why")


@pytest.fixture
def pg_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    request.param = "postgres"  # migrated_url's choice of backend
    url = migrated_url(request, tmp_path, "purge_race")
    return Database(get_engine(url), conn_id="errorguard_test", clock=FakeClock())


def old_signature_only(db: Database) -> FakeClock:
    """One discarded row 40 days old: its signature is purgeable once the row is purged."""
    clock: FakeClock = db.clock  # type: ignore[assignment]
    repo = QuarantineRepository(db)
    repo.add(OLD, [item("old")])
    repo.discard([r.id for r in repo.page(limit=5).items], actor="test")
    clock.advance(days=40)
    return clock


def orphans(db: Database) -> int:
    missing = select(func.count()).select_from(q).where(q.c.signature_key.not_in(select(sig.c.signature_key)))
    with db.transaction("counting rows without signature", write=False) as conn:
        return int(conn.execute(missing).scalar_one())


def test_a_purge_skips_the_signature_an_uncommitted_writer_reuses(pg_db: Database) -> None:
    clock = old_signature_only(pg_db)
    with UnitOfWork(pg_db) as uow:  # connection 1: a writer reusing the old signature, not committed
        assert uow.quarantine.add(NEW, [item("new")]).inserted == 1
        # connection 2: the purge deletes the old row; the signature's only committed reference
        # is gone and its committed last_used_at is 40 days old, but the writer holds it.
        assert QuarantineRepository(pg_db).purge(clock.now - timedelta(days=30)) == 1
    assert orphans(pg_db) == 0
    row = QuarantineRepository(pg_db).page(limit=5).items[0]
    full = QuarantineRepository(pg_db).get(row.id)
    assert full is not None and full.traceback == TRACE and full.error_type == "builtins.ValueError"


def test_a_writer_waiting_on_a_purged_signature_stores_it_again(pg_db: Database) -> None:
    clock = old_signature_only(pg_db)
    with pg_db.engine.connect() as purger:  # connection 1: the purge's statements, not committed
        purger.execute(q.delete())
        assert signatures.delete_unreferenced(purger, clock.now) == 1
        done: list[int] = []
        writer = threading.Thread(  # connection 2: a writer meeting the deleted, locked signature
            target=lambda: done.append(QuarantineRepository(pg_db).add(NEW, [item("new")]).inserted)
        )
        writer.start()
        waiting = (
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        with pg_db.engine.connect() as probe:
            for _ in range(200):  # bounded: the writer blocks on the purge's row lock
                if probe.execute(text(waiting)).scalar_one():
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the writer never waited for the purge's lock")
        purger.commit()
        writer.join(timeout=60)
    assert done == [1]
    assert orphans(pg_db) == 0
    with pg_db.transaction("reading signatures", write=False) as conn:
        assert conn.execute(select(func.count()).select_from(sig)).scalar_one() == 1


def test_a_purge_keeps_a_signature_used_within_its_grace(pg_db: Database) -> None:
    clock = old_signature_only(pg_db)
    with pg_db.transaction("purging the rows only") as conn:
        conn.execute(q.delete())
    clock.advance(minutes=1)
    with pg_db.transaction("marking the signature used") as conn:
        key = conn.execute(select(sig.c.signature_key)).scalar_one()
        conn.execute(sig.update().values(last_used_at=clock.now - signatures.PURGE_GRACE / 2))
        assert signatures.delete_unreferenced(conn, clock.now) == 0
        conn.execute(sig.update().values(last_used_at=clock.now - signatures.PURGE_GRACE * 2))
        assert signatures.delete_unreferenced(conn, clock.now, [key]) == 1
