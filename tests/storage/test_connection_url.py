"""Airflow connection -> SQLAlchemy URL and engine options (no Airflow needed: duck-typed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_errorguard.exceptions import ErrorGuardStorageConfigError
from airflow_errorguard.hooks.connection_url import engine_options, sqlalchemy_url
from airflow_errorguard.storage.engine import EngineOptions

pytestmark = pytest.mark.unit


@dataclass
class Conn:
    conn_type: str
    host: str | None = None
    login: str | None = None
    password: str | None = None
    port: int | None = None
    schema: str | None = None
    extra_dejson: dict[str, Any] = field(default_factory=dict)
    conn_id: str = "errorguard_default"


def url(conn: Conn) -> str:
    return sqlalchemy_url(conn).render_as_string(hide_password=False)


def test_postgres_connection() -> None:
    conn = Conn("postgres", "db", "eg", "p@ss", 5432, "airflow", {"sslmode": "require", "pool_size": "4"})
    assert url(conn) == "postgresql+psycopg2://eg:p%40ss@db:5432/airflow?sslmode=require"
    assert engine_options(conn) == EngineOptions(pool_size=4)
    conn.extra_dejson["sqlalchemy_scheme"] = "postgresql+psycopg"
    assert url(conn).startswith("postgresql+psycopg://")


def test_sqlite_mysql_and_driver_qualified_types() -> None:
    assert url(Conn("sqlite", schema="/data/airflow.db")) == "sqlite:////data/airflow.db"
    assert url(Conn("sqlite", host="/data/airflow.db")) == "sqlite:////data/airflow.db"
    assert url(Conn("mysql", "h", "root", None, 3306, "af", {"charset": "utf8mb4"})) == (
        "mysql+pymysql://root@h:3306/af?charset=utf8mb4"
    )
    assert url(Conn("postgresql+psycopg2", "h", schema="af")) == "postgresql+psycopg2://h/af"


def test_errorguard_type_and_url_override() -> None:
    assert url(Conn("errorguard", "h", "u", "pw", 5433, "eg")) == "postgresql+psycopg2://u:pw@h:5433/eg"
    override = Conn("http", extra_dejson={"sqlalchemy_url": "sqlite:////tmp/eg.db", "busy_timeout_ms": 5000})
    assert url(override) == "sqlite:////tmp/eg.db"
    assert engine_options(override).busy_timeout_ms == 5000


def test_errors_name_the_connection() -> None:
    with pytest.raises(ErrorGuardStorageConfigError, match="connection 'errorguard_default' has type 'http'"):
        sqlalchemy_url(Conn("http"))
    with pytest.raises(ErrorGuardStorageConfigError, match="extra pool_size must be a number, got 'many'"):
        engine_options(Conn("postgres", extra_dejson={"pool_size": "many"}))
    with pytest.raises(ErrorGuardStorageConfigError, match="pool_size must be >= 1"):
        engine_options(Conn("postgres", extra_dejson={"pool_size": 0}))
    with pytest.raises(ErrorGuardStorageConfigError, match="not a valid SQLAlchemy URL"):
        sqlalchemy_url(Conn("postgres", extra_dejson={"sqlalchemy_url": "::nonsense"}))
