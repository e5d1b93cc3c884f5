"""
From an Airflow connection to a SQLAlchemy URL and engine options (duck-typed: no Airflow import).

Supported connection types: ``postgres``/``postgresql``, ``mysql``/``mariadb``, ``sqlite``,
``errorguard`` (host/login/password/port/schema plus ``sqlalchemy_scheme`` in extra, default
``postgresql``) and any ``dialect+driver`` type (``postgresql+psycopg2://...`` URIs). An extra
``sqlalchemy_url`` overrides everything. Other extra keys are driver parameters (``sslmode``...)
except the engine options below.
"""

from __future__ import annotations

from dataclasses import fields
from importlib.util import find_spec
from typing import Any

from sqlalchemy.engine import URL, make_url

from airflow_errorguard.exceptions import ErrorGuardStorageConfigError
from airflow_errorguard.storage.engine import EngineOptions

#: Extra keys read by errorguard itself (never passed to the driver).
ENGINE_OPTION_KEYS = tuple(f.name for f in fields(EngineOptions))
RESERVED_EXTRA_KEYS = frozenset({"sqlalchemy_url", "sqlalchemy_scheme", *ENGINE_OPTION_KEYS})
_SCHEMES = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}


def _default_driver(dialect: str) -> str:
    if dialect == "postgresql":
        return "postgresql+psycopg2" if find_spec("psycopg2") else "postgresql+psycopg"
    if dialect == "mysql":
        return "mysql+mysqldb" if find_spec("MySQLdb") else "mysql+pymysql"
    return dialect


def _extra(conn: Any) -> dict[str, Any]:
    extra = getattr(conn, "extra_dejson", None)
    return dict(extra) if isinstance(extra, dict) else {}


def sqlalchemy_url(conn: Any) -> URL:
    """The SQLAlchemy URL of Airflow connection *conn* (raises naming the connection)."""
    conn_id = getattr(conn, "conn_id", None)
    extra = _extra(conn)
    conn_type = (getattr(conn, "conn_type", None) or "").lower()
    if extra.get("sqlalchemy_url"):
        try:
            return make_url(str(extra["sqlalchemy_url"]))
        except Exception as err:
            raise ErrorGuardStorageConfigError(
                f"connection {conn_id!r}: extra sqlalchemy_url is not a valid SQLAlchemy URL: {err}",
                conn_id=conn_id,
            ) from err
    if conn_type == "errorguard":
        scheme = str(extra.get("sqlalchemy_scheme") or "postgresql")
    elif "+" in conn_type:
        scheme = conn_type
    elif conn_type in _SCHEMES:
        scheme = str(extra.get("sqlalchemy_scheme") or _SCHEMES[conn_type])
    else:
        raise ErrorGuardStorageConfigError(
            f"connection {conn_id!r} has type {conn_type!r}; errorguard needs a SQL database: "
            "postgres, mysql, sqlite, errorguard, or an extra sqlalchemy_url",
            conn_id=conn_id,
        )
    if "+" not in scheme:
        scheme = _default_driver(_SCHEMES.get(scheme, scheme))
    if scheme.startswith("sqlite"):
        path = getattr(conn, "host", None) or getattr(conn, "schema", None) or ""
        return URL.create(scheme, database=path or None)
    query = {
        k: str(v) for k, v in extra.items() if k not in RESERVED_EXTRA_KEYS and not k.startswith("extra__")
    }
    return URL.create(
        scheme,
        username=getattr(conn, "login", None) or None,
        password=getattr(conn, "password", None) or None,
        host=getattr(conn, "host", None) or None,
        port=getattr(conn, "port", None) or None,
        database=getattr(conn, "schema", None) or None,
        query=query,
    )


def engine_options(conn: Any) -> EngineOptions:
    """Engine options from the connection's extra (``pool_size``, ``busy_timeout_ms``...)."""
    conn_id = getattr(conn, "conn_id", None)
    extra = _extra(conn)
    values: dict[str, Any] = {}
    for f in fields(EngineOptions):
        if extra.get(f.name) in (None, ""):
            continue
        kind = float if f.name == "pool_timeout" else int
        try:
            values[f.name] = kind(extra[f.name])
        except (TypeError, ValueError):
            raise ErrorGuardStorageConfigError(
                f"connection {conn_id!r}: extra {f.name} must be a number, got {extra[f.name]!r}",
                conn_id=conn_id,
            ) from None
    try:
        return EngineOptions(**values)
    except ValueError as err:
        raise ErrorGuardStorageConfigError(f"connection {conn_id!r}: {err}", conn_id=conn_id) from err
