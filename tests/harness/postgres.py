"""Throwaway PostgreSQL databases for Airflow metadata DBs in tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import psycopg2
import pytest
from psycopg2 import sql
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL_ENV = "ERRORGUARD_TEST_PG_URL"


def admin_url() -> str:
    """The maintenance-DB URL used to create/drop test databases (``$ERRORGUARD_TEST_PG_URL``)."""
    return os.environ.get(PG_URL_ENV) or DEFAULT_PG_URL


def redacted(url: str) -> str:
    """``url`` with any password masked, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def airflow_url(server_url: str, database: str) -> str:
    """SQLAlchemy URL (psycopg2 driver) of ``database`` on the server of ``server_url``."""
    url = make_url(server_url).set(drivername="postgresql+psycopg2", database=database)
    return url.render_as_string(hide_password=False)


def _connect(server_url: str) -> psycopg2.extensions.connection:
    url = make_url(server_url).set(drivername="postgresql")
    conn = psycopg2.connect(url.render_as_string(hide_password=False), connect_timeout=5)
    conn.autocommit = True
    return conn


def create_database(server_url: str, prefix: str = "errorguard_test_") -> str:
    """Create a uniquely named empty database and return its name (raises psycopg2.Error)."""
    name = f"{prefix}{secrets.token_hex(6)}"
    conn = _connect(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return name


def drop_database(server_url: str, name: str) -> None:
    """``DROP DATABASE IF EXISTS name WITH (FORCE)`` (terminates leftover sessions)."""
    conn = _connect(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        conn.close()


def database_exists(server_url: str, name: str) -> bool:
    conn = _connect(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cur.fetchone() is not None
    finally:
        conn.close()


def in_ci() -> bool:
    """Whether this run is CI (``CI=true``), where a missing PostgreSQL must fail the run."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unreachable(exc: BaseException, server_url: str | None = None) -> NoReturn:
    """Skip the test (locally) or fail it (``CI=true``): PostgreSQL at *server_url* cannot be reached."""
    message = (
        f"PostgreSQL at {redacted(server_url or admin_url())} (set {PG_URL_ENV} to change) is unreachable: "
        f"{type(exc).__name__}: {str(exc).strip()}"
    )
    if in_ci():
        pytest.fail(f"{message} -- CI=true, so PostgreSQL tests fail instead of skipping", pytrace=False)
    pytest.skip(message)


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the test server (its psycopg2 URL); errorguard's pooled engines are
    disposed and the database dropped afterwards. Unreachable: skip locally, fail under ``CI=true``."""
    from airflow_errorguard.storage.engine import dispose_engines

    server = admin_url()
    try:
        name = create_database(server, prefix=prefix)
    except (psycopg2.Error, OSError) as exc:
        unreachable(exc)
    try:
        yield airflow_url(server, name)
    finally:
        dispose_engines()
        drop_database(server, name)
