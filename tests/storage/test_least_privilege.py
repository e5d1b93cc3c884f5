"""The least-privilege PostgreSQL role of docs/storage.md works, and sees nothing but errorguard's tables."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url

from airflow_errorguard.storage import bulk, quarantine
from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.checkpoints import CheckpointKey, CheckpointRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import create_storage_engine, get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import current_revision, head_revision
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from tests.storage.helpers import empty_tables

pytestmark = pytest.mark.postgres
DOC = Path(__file__).resolve().parents[2] / "docs" / "storage.md"


def role_script() -> str:
    found = re.search(
        r"<!-- \[START least_privilege_role\] -->\n```sql\n(.*?)```\n<!-- \[END least_privilege_role\] -->",
        DOC.read_text(),
        re.S,
    )
    assert found, "docs/storage.md lost its least_privilege_role block"
    return found.group(1)


def test_documented_role_can_use_errorguard_and_nothing_else(
    postgres_storage_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_tables(postgres_storage_url)
    url = make_url(postgres_storage_url)
    role, password = f"errorguard_worker_{secrets.token_hex(4)}", secrets.token_hex(8)
    script = (
        role_script()
        .replace("errorguard_worker", role)
        .replace("'change-me'", f"'{password}'")
        .replace("ON DATABASE airflow", f'ON DATABASE "{url.database}"')
    )
    admin = get_engine(postgres_storage_url)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS connection (conn_id text, password text)")
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(script)  # as psql would run it: no parameters, so "%I" stays as written
        cursor.close()
    worker_engine = create_storage_engine(url.set(username=role, password=password), pooled=False)
    try:
        db = Database(worker_engine, conn_id="errorguard_default")
        identity = TaskIdentity("etl", "load", "manual__1")
        repo = QuarantineRepository(db)
        monkeypatch.setattr(bulk, "COPY_THRESHOLD", 10)  # the COPY path needs TEMPORARY
        monkeypatch.setattr(quarantine, "CHUNK_SIZE", 7)
        assert repo.add(identity, [QuarantineItem(f"k{i}", {"i": i}) for i in range(20)]).inserted == 20
        assert repo.add(identity, [QuarantineItem("small", 1)]).inserted == 1  # unnest path
        ids = [row.id for row in repo.page(limit=3).items]
        assert repo.release(ids, actor="worker").changed == ids
        assert len(AuditRepository(db).history("quarantine", ids[0])) == 1
        key = CheckpointKey.for_task(identity, "offset")
        CheckpointRepository(db).save(key, state={"n": 1}, expected_version=0)
        assert repo.purge(db.clock(), statuses=("released",)) == 3  # DELETE, and an audit row
        with worker_engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            with pytest.raises(sa_exc.ProgrammingError, match="permission denied"):
                conn.execute(text("SELECT * FROM connection"))
    finally:
        worker_engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS connection")
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
