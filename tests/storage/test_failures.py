"""Storage failures are typed, name the connection, chain the driver error and drop nothing silently."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc

from airflow_errorguard.exceptions import ErrorGuardError, ErrorGuardStorageError
from airflow_errorguard.storage.checkpoints import CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import EngineOptions, create_storage_engine, get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem

TASK = TaskIdentity("etl", "load", "manual__1")


@pytest.mark.unit
def test_unreachable_database_raises_a_typed_transient_error_naming_the_connection() -> None:
    engine = create_storage_engine(
        "postgresql+psycopg2://user:s3cret@127.0.0.1:1/nowhere", EngineOptions(connect_timeout=2)
    )
    repo = QuarantineRepository(Database(engine, conn_id="errorguard_prod"))
    with pytest.raises(ErrorGuardStorageError) as caught:
        repo.add(TASK, [QuarantineItem("k", 1)])
    err = caught.value
    assert isinstance(err, ErrorGuardError)
    assert err.conn_id == "errorguard_prod" and err.transient
    assert "connection 'errorguard_prod' (postgresql)" in str(err)
    assert "quarantining 1 records of etl.load" in str(err)
    assert "s3cret" not in str(err)
    assert isinstance(err.__cause__, sa_exc.OperationalError)


@pytest.mark.unit
def test_sqlite_lock_held_past_the_busy_timeout_is_a_storage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade(url)
    engine = create_storage_engine(url, EngineOptions(busy_timeout_ms=200))
    repo = QuarantineRepository(Database(engine, conn_id="errorguard_sqlite"))
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ErrorGuardStorageError, match="database is locked") as caught:
            repo.add(TASK, [QuarantineItem("k", 1)])
        assert caught.value.transient
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert repo.add(TASK, [QuarantineItem("k", 1)]).inserted == 1  # nothing was half-written


@pytest.mark.unit
def test_sqlite_engine_is_wal_with_busy_timeout(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'wal.db'}", EngineOptions(busy_timeout_ms=1234))
    assert get_engine(f"sqlite:///{tmp_path / 'wal.db'}", EngineOptions(busy_timeout_ms=1234)) is engine
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    assert engine.pool._pre_ping  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_postgres_statement_timeout_on_a_locked_row_is_a_transient_storage_error(
    postgres_storage_url: str,
) -> None:
    key = CheckpointKey("timeout-probe")
    fast = CheckpointRepository(Database(get_engine(postgres_storage_url), conn_id="errorguard_test"))
    current = fast.get(key)
    fast.save(key, state=1, expected_version=current.version if current else 0)
    slow_engine = create_storage_engine(postgres_storage_url, EngineOptions(statement_timeout_ms=300))
    slow = CheckpointRepository(Database(slow_engine, conn_id="errorguard_pg"))
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with get_engine(postgres_storage_url).begin() as conn:
            conn.exec_driver_sql(
                "SELECT 1 FROM errorguard_checkpoint WHERE name = 'timeout-probe' FOR UPDATE"
            )
            locked.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        stored = slow.get(key)
        assert stored is not None
        with pytest.raises(ErrorGuardStorageError, match="connection 'errorguard_pg'") as caught:
            slow.save(key, state=2, expected_version=stored.version)
        assert caught.value.transient
        assert "statement timeout" in str(caught.value.__cause__)
    finally:
        release.set()
        holder.join()
        slow_engine.dispose()
    assert fast.get(key).state == 1  # type: ignore[union-attr]
