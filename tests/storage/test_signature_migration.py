"""
Migration ``5b8d3f0e2a17`` moves stored quarantine rows into the error-signature layout: every row
reads back with its full context, equal errors share one signature, and a writer after the
migration reuses the signatures it made (same key). On SQLite, PostgreSQL and (when reachable)
MariaDB, with rows in place.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import create_storage_engine, dispose_engines
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import downgrade, head_revision, upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.tables import error_signature_table
from tests.harness import postgres as pg

BEFORE = "e52b8c7d1a34"
STACK = 'Traceback (most recent call last):\n  File "etl.py", line 7, in parse\n    int(v)\nValueError: '


def _legacy_table() -> sa.Table:
    """``errorguard_quarantine`` as revision e52b8c7d1a34 had it (the columns this test fills)."""
    return sa.Table(
        "errorguard_quarantine",
        sa.MetaData(),
        sa.Column("id", sa.BigInteger, primary_key=True),
        *(sa.Column(n, sa.String(250)) for n in ("dag_id", "task_id", "run_id", "record_key")),
        sa.Column("map_index", sa.Integer),
        sa.Column("try_number", sa.Integer),
        sa.Column("payload", sa.Text),
        sa.Column("payload_bytes", sa.Integer),
        sa.Column("payload_truncated", sa.Boolean),
        *(sa.Column(n, sa.Text) for n in ("error_category", "error_type", "error_message", "traceback")),
        *(sa.Column(n, sa.Text) for n in ("fingerprint", "reason", "status")),
        sa.Column("created_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime),
    )


#: (record key, category, type, message, traceback, fingerprint, reason) of the rows stored before.
LEGACY = [
    *(
        (
            f"r{n}",
            "data",
            "builtins.ValueError",
            f"bad value {n}",
            f"{STACK}bad value {n}\n",
            "fp1",
            "invalid",
        )
        for n in range(40)
    ),
    (
        "t1",
        "transient",
        "socket.timeout",
        "timed out",
        "Traceback...\nTimeoutError: timed out\n",
        "fp2",
        "net",
    ),
    (
        "t2",
        "transient",
        "socket.timeout",
        "timed out",
        "Traceback...\nTimeoutError: timed out\n",
        "fp2",
        "net",
    ),
    ("n1", "unknown", None, None, None, None, None),
    ("x1", "data", "builtins.KeyError", "'k'", "no message at the end\n", "fp3", "missing"),
]


def _mysql_database() -> Iterator[str]:
    """A fresh MariaDB/MySQL database (skipped when no server is reachable), dropped afterwards."""
    import pymysql

    parts = urlsplit(os.environ.get("ERRORGUARD_TEST_MYSQL_URL") or "mysql://root@127.0.0.1:3306")
    server = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 3306}
    login = {"user": parts.username or "root", "password": parts.password or ""}
    try:
        admin = pymysql.connect(**server, **login, connect_timeout=5, autocommit=True)  # type: ignore[arg-type]
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB/MySQL at {parts.hostname}:{parts.port} is unreachable: {exc}")
    name = f"errorguard_sigmig_{secrets.token_hex(5)}"
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield f"mysql+pymysql://{parts.netloc}/{name}"
    finally:
        dispose_engines()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
        "mysql",  # optional: skipped when no MariaDB/MySQL server is reachable
    ]
)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'legacy.db'}"
        return
    if request.param == "mysql":
        yield from _mysql_database()
        return
    with pg.fresh_database("errorguard_sigmig_") as url:
        yield url


def test_the_migration_moves_stored_rows_into_signatures(fresh_url: str) -> None:
    upgrade(fresh_url, BEFORE)
    engine = create_storage_engine(fresh_url, pooled=False)
    now = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    rows = [
        dict(
            dag_id="d",
            task_id="t",
            run_id="r",
            map_index=-1,
            try_number=1,
            record_key=key,
            payload='{"n":1}',
            payload_bytes=7,
            payload_truncated=False,
            error_category=category,
            error_type=etype,
            error_message=message,
            traceback=trace,
            fingerprint=fp,
            reason=reason,
            status="quarantined",
            created_at=now,
            updated_at=now,
        )
        for key, category, etype, message, trace, fp, reason in LEGACY
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(_legacy_table()), rows)

    assert upgrade(fresh_url) == head_revision()
    db = Database(engine)
    repo = QuarantineRepository(db)
    stored = {r.record_key: r for r in repo.page(limit=1000, include_payload=True).items}
    assert len(stored) == len(LEGACY)
    for key, category, etype, message, trace, fp, reason in LEGACY:
        row = stored[key]
        assert (row.error_category, row.error_type, row.error_message) == (category, etype, message), key
        assert (row.traceback, row.fingerprint, row.reason) == (trace, fp, reason), key
        got = repo.get(row.id)
        assert got is not None and got.traceback == trace and got.error_type == etype
    with engine.connect() as conn:
        signatures = conn.execute(sa.select(sa.func.count()).select_from(error_signature_table)).scalar_one()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("errorguard_quarantine")}
    assert signatures == 4  # the 40 ValueErrors share one, both timeouts one, then one each
    assert not {"traceback", "error_type", "reason"} & columns and "signature_key" in columns

    # A writer after the migration computes the same key: no second signature for the same error.
    item = QuarantineItem(
        "new", 1, "data", "builtins.ValueError", "bad value 99", f"{STACK}bad value 99\n", "fp1", "invalid"
    )
    assert repo.add(TaskIdentity("d", "t", "r2"), [item]).inserted == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(error_signature_table)).scalar_one() == 4
    engine.dispose()


@pytest.mark.unit
def test_the_downgrade_puts_the_context_back_on_the_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.db'}"
    upgrade(url)
    engine = create_storage_engine(url, pooled=False)
    items = [
        QuarantineItem(f"k{n}", n, "data", "builtins.ValueError", f"v{n}", f"{STACK}v{n}\n", "fp", "why")
        for n in range(5)
    ]
    QuarantineRepository(Database(engine)).add(TaskIdentity("d", "t", "r"), items)
    downgrade(url, BEFORE)
    with engine.connect() as conn:
        got = conn.execute(
            sa.text(
                "SELECT record_key, error_type, traceback, reason "
                "FROM errorguard_quarantine ORDER BY record_key"
            )
        ).all()
    assert [tuple(r) for r in got] == [
        (f"k{n}", "builtins.ValueError", f"{STACK}v{n}\n", "why") for n in range(5)
    ]
    assert upgrade(url) == head_revision()  # and up again, the rows moved a second time
    assert (
        QuarantineRepository(Database(engine)).page(limit=10, include_payload=True).items[0].traceback
        == f"{STACK}v4\n"
    )
    engine.dispose()
