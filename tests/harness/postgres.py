"""Throwaway PostgreSQL databases for Airflow metadata DBs in tests."""

from __future__ import annotations

import os
import secrets

import psycopg2
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
