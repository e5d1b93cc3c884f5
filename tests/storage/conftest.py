"""Fixtures of the storage tests: one migrated database per backend and session, cleaned per test.

- ``storage_url`` (session, parametrised): a database with errorguard's tables created by
  ``airflow_errorguard.storage.migrate.upgrade`` (the separate-database path):
  ``sqlite`` (a temporary file), ``postgres`` (a fresh ``errorguard_storage_<hex>`` database on
  ``$ERRORGUARD_TEST_PG_URL``, created with ``tests.harness.postgres`` and dropped afterwards;
  unreachable: skip locally, **fail** when ``CI=true``) and ``mysql`` (MariaDB/MySQL at
  ``$ERRORGUARD_TEST_MYSQL_URL``, skipped when unreachable).
- ``db``: a :class:`Database` on that URL with empty tables and a controllable clock.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import dispose_engines, get_engine
from airflow_errorguard.storage.migrate import upgrade
from tests.harness import postgres as pg
from tests.storage.helpers import FakeClock, empty_tables

MYSQL_URL_ENV = "ERRORGUARD_TEST_MYSQL_URL"
MYSQL_DEFAULT = "mysql://root@127.0.0.1:3306"


@pytest.fixture(scope="session")
def postgres_storage_url() -> Iterator[str]:
    """A fresh PostgreSQL database with errorguard's tables (psycopg2 driver); dropped at the end."""
    server = pg.admin_url()
    try:
        name = pg.create_database(server, prefix="errorguard_storage_")
    except (psycopg2.Error, OSError) as exc:
        pg.unreachable(exc)
    url = pg.airflow_url(server, name)
    try:
        upgrade(url)
        yield url
    finally:
        dispose_engines()  # close pooled connections before dropping the database
        pg.drop_database(server, name)


@pytest.fixture(scope="session")
def mysql_storage_url() -> Iterator[str]:
    import pymysql

    parts = urlsplit(os.environ.get(MYSQL_URL_ENV) or MYSQL_DEFAULT)
    server = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
    }
    try:
        admin = pymysql.connect(**server, connect_timeout=5, autocommit=True)  # type: ignore[arg-type]
    except pymysql.MySQLError as exc:
        pytest.skip(
            f"MariaDB/MySQL at {parts.hostname}:{parts.port} (set {MYSQL_URL_ENV}) is unreachable: {exc}"
        )
    name = f"errorguard_storage_{secrets.token_hex(5)}"
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        url = make_url(f"mysql+pymysql://{parts.netloc}/{name}").render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        dispose_engines()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture(scope="session")
def sqlite_storage_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("storage") / "errorguard.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
        "mysql",  # optional: skipped when no MariaDB/MySQL server is reachable
    ],
)
def storage_url(request: pytest.FixtureRequest) -> str:
    """URL of a migrated database: SQLite, PostgreSQL, then MariaDB/MySQL."""
    url: str = request.getfixturevalue(f"{request.param}_storage_url")
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(storage_url: str, clock: FakeClock) -> Database:
    """A :class:`Database` on ``storage_url`` with empty errorguard tables and the fake clock."""
    empty_tables(storage_url)
    return Database(get_engine(storage_url), conn_id="errorguard_test", clock=clock)
