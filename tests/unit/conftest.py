"""Fixtures of the unit tests: a fresh classifier, cache hygiene, and throwaway databases.

PostgreSQL (``$ERRORGUARD_TEST_PG_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``)
and MariaDB/MySQL (``$ERRORGUARD_TEST_MYSQL_URL``, default ``mysql://root@127.0.0.1:3306``) get a
uniquely named database for the session, dropped at the end. PostgreSQL unreachable: the tests
fail when ``CI=true`` and skip otherwise; MariaDB unreachable: they skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from airflow_errorguard.classification import defaults as defaults_module
from airflow_errorguard.classification import plugins as plugins_module
from airflow_errorguard.classification.classifier import Classifier
from tests.harness import postgres as pg

MYSQL_URL_ENV = "ERRORGUARD_TEST_MYSQL_URL"
MYSQL_DEFAULT = "mysql://root@127.0.0.1:3306"


@pytest.fixture
def classifier() -> Classifier:
    """The built-in knowledge only: no user rules, no plugins."""
    return Classifier()


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Clear the process-wide plugin and default-classifier caches before and after a test."""
    from airflow_errorguard import configured, settings

    def clear() -> None:
        plugins_module.load_plugins.cache_clear()
        defaults_module._builtin_factory.cache_clear()
        configured.clear_caches()
        settings.invalidate_settings()

    clear()
    yield
    clear()


def _with_db(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL (libpq form, usable by psycopg2 and psycopg) of a throwaway PostgreSQL database."""
    import psycopg2

    server = pg.admin_url()
    name = f"errorguard_unit_{secrets.token_hex(5)}"
    try:
        admin = psycopg2.connect(server, connect_timeout=5)
    except psycopg2.Error as exc:
        pg.unreachable(exc, server)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield _with_db(server, name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def mysql_params() -> Iterator[dict[str, object]]:
    """``pymysql.connect`` keyword arguments for a throwaway MariaDB/MySQL database."""
    import pymysql

    url = urlsplit(os.environ.get(MYSQL_URL_ENV) or MYSQL_DEFAULT)
    server: dict[str, object] = {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 3306,
        "user": url.username or "root",
        "password": url.password or "",
        "connect_timeout": 5,
    }
    try:
        admin = pymysql.connect(**server, autocommit=True)  # type: ignore[arg-type]
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB/MySQL at {url.hostname}:{url.port} (set {MYSQL_URL_ENV}) is unreachable: {exc}")
    name = f"errorguard_unit_{secrets.token_hex(5)}"
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        yield {**server, "database": name}
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
