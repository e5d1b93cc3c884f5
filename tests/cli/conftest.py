"""A fresh, migrated errorguard database per test, on SQLite and on PostgreSQL (``cli_url``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from airflow_errorguard.storage import migrate
from airflow_errorguard.storage.database import Database
from tests.harness import postgres as pg


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database with errorguard's tables (dropped afterwards)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'errorguard.db'}"
        migrate.upgrade(url)
        yield url
        return
    server = pg.admin_url()
    try:
        name = pg.create_database(server, prefix="errorguard_cli_")
    except (psycopg2.Error, OSError) as exc:
        pg.unreachable(exc, server)
    url = pg.airflow_url(server, name)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        from airflow_errorguard.storage.engine import dispose_engines

        dispose_engines()
        pg.drop_database(server, name)


@pytest.fixture
def cli_db(cli_url: str) -> Iterator[Database]:
    """:class:`Database` on ``cli_url`` for seeding and checking."""
    engine = create_engine(cli_url, poolclass=NullPool)
    yield Database(engine)
    engine.dispose()
