"""Alembic migrations: match the tables' metadata on every backend, idempotent, reversible."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from airflow_errorguard.storage.engine import create_storage_engine, get_engine
from airflow_errorguard.storage.migrate import (
    VERSION_TABLE,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from airflow_errorguard.storage.tables import errorguard_metadata

TABLES = {"errorguard_quarantine", "errorguard_checkpoint", "errorguard_error_event", "errorguard_audit"}


def test_migrated_schema_matches_the_metadata(storage_url: str) -> None:
    """``create_all`` (used by ``airflow db migrate`` on a fresh database) and the migrations agree."""
    with get_engine(storage_url).connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda _o, name, type_, *_a: (
                    not (type_ == "table" and name not in errorguard_metadata.tables)
                ),
            },
        )
        assert compare_metadata(context, errorguard_metadata) == []
        assert current_revision(conn) == head_revision()
        inspector = inspect(conn)
        uniques = {u["name"] for u in inspector.get_unique_constraints("errorguard_quarantine")}
        indexes = {i["name"] for i in inspector.get_indexes("errorguard_quarantine")}
    assert "uq_errorguard_quarantine_record" in uniques | indexes
    assert {"ix_errorguard_quarantine_status_id", "ix_errorguard_quarantine_dag_status_id"} <= indexes


@pytest.mark.unit
def test_upgrade_twice_is_a_no_op_and_downgrade_drops_everything(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert upgrade(url) == head_revision()
    engine = create_storage_engine(url, pooled=False)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO errorguard_audit (entity, entity_id, action, actor, created_at) "
            "VALUES ('x', '1', 'a', 'me', '2026-01-01 00:00:00')"
        )
    assert upgrade(url) == head_revision()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM errorguard_audit").scalar() == 1
    assert downgrade(url, "base") is None
    assert not TABLES & set(inspect(engine).get_table_names())
    assert upgrade(engine) == head_revision()  # an Engine works as the target too
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert VERSION_TABLE in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.airflow
def test_db_manager_passes_airflow_validation() -> None:
    from airflow.models.base import metadata as airflow_metadata
    from airflow.utils.db_manager import RunDBManager

    from airflow_errorguard.storage.db_manager import REVISION_HEADS_MAP, ErrorGuardDBManager

    RunDBManager._validate(ErrorGuardDBManager)  # type: ignore[arg-type]
    assert not TABLES & set(airflow_metadata.tables)
    assert ErrorGuardDBManager.metadata is errorguard_metadata
    assert ErrorGuardDBManager.version_table_name == "alembic_version_errorguard"
    assert list(REVISION_HEADS_MAP.values())[-1] == head_revision()
    assert "version_table=VERSION_TABLE" in (Path(ErrorGuardDBManager.migration_dir) / "env.py").read_text()
