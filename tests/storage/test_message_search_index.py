"""The opt-in trigram index behind quarantine message search: built, used, dropped, refused clearly."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from airflow_errorguard.cli.main import main
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import create_storage_engine, dispose_engines, get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.message_search import (
    MESSAGE_SEARCH_INDEX,
    create_message_search_index,
    drop_message_search_index,
    message_search_index_state,
)
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository, _scope
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.tables import quarantine_table
from tests.harness import postgres as pg


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A migrated PostgreSQL database of its own (pg_trgm is not installed in it yet)."""
    server = pg.admin_url()
    name = pg.create_database(server, prefix="errorguard_trgm_")
    url = pg.airflow_url(server, name)
    try:
        upgrade(url)
        yield url
    finally:
        dispose_engines()
        pg.drop_database(server, name)


def plan_uses_index(db: Database, needle: str) -> bool:
    """Whether PostgreSQL can answer the repository's own message filter from the index."""
    statement = select(quarantine_table.c.id).where(*_scope(None, needle))
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE errorguard_quarantine")
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = json.dumps(conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}").scalar())
        conn.rollback()
    return MESSAGE_SEARCH_INDEX in plan


@pytest.mark.postgres
def test_create_use_and_drop_the_index(fresh_postgres: str) -> None:
    db = Database(get_engine(fresh_postgres), conn_id="pg")
    repo = QuarantineRepository(db)
    repo.add(
        TaskIdentity("dag", "task", "run"),
        [
            QuarantineItem(f"order-{n}", {"n": n}, error_message=f"Order {n} has no price (50%_off)")
            for n in range(3000)
        ],
    )
    assert message_search_index_state(db) == "absent"
    assert not plan_uses_index(db, "order 1234 has")

    assert create_message_search_index(db) is True
    assert create_message_search_index(db) is False  # already there
    assert message_search_index_state(db) == "present"
    assert plan_uses_index(db, "order 1234 has")
    # Same answers with the index: case-insensitive, % and _ literal.
    found = repo.page(limit=10, message_contains="ORDER 1234 HAS").items
    assert [row.record_key for row in found] == ["order-1234"]
    assert len(repo.page(limit=10, message_contains="(50%_off)").items) == 10
    assert repo.page(limit=10, message_contains="50x_off").items == []

    assert drop_message_search_index(db) is True
    assert drop_message_search_index(db) is False
    assert message_search_index_state(db) == "absent"


@pytest.mark.postgres
def test_an_interrupted_build_is_rebuilt(fresh_postgres: str) -> None:
    db = Database(get_engine(fresh_postgres), conn_id="pg")
    with db.transaction("faking a failed concurrent build") as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(
            f"CREATE INDEX {MESSAGE_SEARCH_INDEX} ON errorguard_quarantine "
            "USING gin (error_message gin_trgm_ops)"
        )
        conn.exec_driver_sql(
            f"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{MESSAGE_SEARCH_INDEX}'::regclass"
        )
    assert message_search_index_state(db) == "invalid"
    assert create_message_search_index(db) is True
    assert message_search_index_state(db) == "present"


@pytest.mark.postgres
def test_without_rights_to_create_pg_trgm_the_error_says_what_to_do(fresh_postgres: str) -> None:
    url = make_url(fresh_postgres)
    role, password = f"errorguard_user_{secrets.token_hex(4)}", secrets.token_hex(8)
    admin = get_engine(fresh_postgres)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        conn.exec_driver_sql(f'REVOKE CREATE ON DATABASE "{url.database}" FROM PUBLIC')
        conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{url.database}" TO "{role}"')
    engine = create_storage_engine(url.set(username=role, password=password), pooled=False)
    try:
        db = Database(engine, conn_id="limited")
        with pytest.raises(ErrorGuardConfigError, match="CREATE EXTENSION pg_trgm"):
            create_message_search_index(db)
        assert message_search_index_state(db) == "absent"
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')


@pytest.mark.postgres
def test_cli_status_create_drop(fresh_postgres: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "search-index", "status", "--url", fresh_postgres]) == 0
    assert capsys.readouterr().out.strip() == f"message search index {MESSAGE_SEARCH_INDEX}: absent"
    assert main(["db", "search-index", "create", "--url", fresh_postgres, "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "index": MESSAGE_SEARCH_INDEX,
        "state": "present",
        "changed": True,
    }
    assert main(["db", "search-index", "drop", "--url", fresh_postgres]) == 0
    assert capsys.readouterr().out.strip().endswith(": absent (dropped now)")


@pytest.mark.unit
def test_other_databases_are_told_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    upgrade(url)
    db = Database(get_engine(url), conn_id="sqlite")
    assert message_search_index_state(db) == "unsupported"
    with pytest.raises(ErrorGuardConfigError, match="needs PostgreSQL"):
        create_message_search_index(db)
    assert main(["db", "search-index", "create", "--url", url]) == 1
    assert "needs PostgreSQL" in capsys.readouterr().err
