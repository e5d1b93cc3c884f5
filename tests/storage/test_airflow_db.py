"""``airflow db migrate`` / ``airflow db reset`` manage errorguard's tables (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from airflow_errorguard.storage.migrate import head_revision
from tests.harness import AirflowEnv
from tests.harness import postgres as pg

pytestmark = pytest.mark.airflow
TABLES = {
    "errorguard_quarantine",
    "errorguard_checkpoint",
    "errorguard_error_event",
    "errorguard_audit",
    "errorguard_circuit",
    "errorguard_circuit_event",
    "errorguard_incident",
    "errorguard_incident_task",
    "errorguard_committed_file",
    "errorguard_hourly_count",
    "errorguard_hourly_fingerprint",
    "errorguard_rollup_state",
    "errorguard_error_signature",
}
SENTINEL = (
    "INSERT INTO errorguard_audit (entity, entity_id, action, actor, created_at) "
    "VALUES ('test', 'sentinel', 'keep', 'pytest', '2026-01-01 00:00:00')"
)


def errorguard_tables(env: AirflowEnv) -> set[str]:
    if env.backend == "sqlite":
        rows = env.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = {r["name"] for r in rows}
    else:
        rows = env.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        names = {r["tablename"] for r in rows}
    return {n for n in names if "errorguard" in n}


def version(env: AirflowEnv) -> str:
    return str(env.query("SELECT version_num FROM alembic_version_errorguard")[0]["version_num"])


def execute(env: AirflowEnv, statement: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(env.sql_alchemy_conn, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_db_migrate_creates_the_tables_and_a_second_run_is_a_no_op(airflow_backend: AirflowEnv) -> None:
    # The session fixture already ran `airflow db migrate` once on this fresh database.
    assert errorguard_tables(airflow_backend) == TABLES | {"alembic_version_errorguard"}
    assert version(airflow_backend) == head_revision()
    execute(airflow_backend, SENTINEL)
    try:
        airflow_backend.cli("db", "migrate")
        assert errorguard_tables(airflow_backend) == TABLES | {"alembic_version_errorguard"}
        assert version(airflow_backend) == head_revision()
        sentinel = airflow_backend.query("SELECT actor FROM errorguard_audit WHERE entity_id = 'sentinel'")
        assert sentinel == [{"actor": "pytest"}]  # nothing was dropped or recreated
        check = airflow_backend.cli("db", "check-migrations", "-t", "5")
        assert check.returncode == 0
    finally:
        execute(airflow_backend, "DELETE FROM errorguard_audit WHERE entity_id = 'sentinel'")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def private_airflow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AirflowEnv]:
    """A freshly migrated Airflow home of its own (``db reset`` must not touch the session's)."""
    home = tmp_path / "home"
    if request.param == "sqlite":
        env = AirflowEnv.create(home)
        env.migrate()
        yield env
        return
    server = pg.admin_url()
    try:
        name = pg.create_database(server, prefix="errorguard_reset_")
    except (psycopg2.Error, OSError) as exc:
        pg.unreachable(exc)
    try:
        env = AirflowEnv.create(home, pg.airflow_url(server, name))
        env.migrate()
        yield env
    finally:
        pg.drop_database(server, name)
        shutil.rmtree(home, ignore_errors=True)


def test_db_reset_drops_the_tables(private_airflow: AirflowEnv) -> None:
    assert errorguard_tables(private_airflow) == TABLES | {"alembic_version_errorguard"}
    execute(private_airflow, SENTINEL)
    private_airflow.cli("db", "reset", "-y")  # drop everything, then initialise again
    assert errorguard_tables(private_airflow) == TABLES | {"alembic_version_errorguard"}
    assert private_airflow.query("SELECT count(*) AS n FROM errorguard_audit") == [{"n": 0}]
    assert version(private_airflow) == head_revision()
    private_airflow.cli("db", "reset", "-y", "--skip-init")
    assert errorguard_tables(private_airflow) == set()
