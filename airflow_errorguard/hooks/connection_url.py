"""
From an Airflow connection to a SQLAlchemy URL and engine options (duck-typed: no Airflow import).

Supported connection types: ``postgres``/``postgresql``, ``mysql``/``mariadb``, ``sqlite``,
``errorguard`` (host/login/password/port/schema plus ``sqlalchemy_scheme`` in extra, default
``postgresql``) and any ``dialect+driver`` type (``postgresql+psycopg2://...`` URIs). An extra
``sqlalchemy_url`` overrides everything. Other extra keys are driver parameters (``sslmode``...)
except the engine options below. :func:`connection_from_env` reads an ``AIRFLOW_CONN_<ID>``
variable the way Airflow does, for callers (the CLI) that should not pay Airflow's import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib.util import find_spec
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

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


@dataclass(frozen=True)
class EnvConnection:
    """The fields of an ``AIRFLOW_CONN_<ID>`` connection, read without importing Airflow."""

    conn_id: str
    conn_type: str
    host: str | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = None
    port: int | None = None
    extra_dejson: dict[str, Any] = field(default_factory=dict)


def _conn_type(raw: str) -> str:
    return "postgres" if raw == "postgresql" else raw.replace("-", "_")


def _from_json(conn_id: str, value: str) -> EnvConnection | None:
    data = json.loads(value)
    if not isinstance(data, dict) or not data.get("conn_type"):
        return None
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra)
    return EnvConnection(
        conn_id=conn_id,
        conn_type=_conn_type(str(data["conn_type"])),
        host=data.get("host"),
        schema=data.get("schema"),
        login=data.get("login"),
        password=data.get("password"),
        port=int(data["port"]) if data.get("port") else None,
        extra_dejson=dict(extra),
    )


def _from_uri(conn_id: str, value: str) -> EnvConnection | None:
    if value.count("://") != 1:
        return None  # a host with its own protocol: leave it to Airflow's parser
    scheme, rest = value.split("://", 1)
    parts = urlsplit("//" + rest)
    extra: dict[str, Any] = {}
    if parts.query:
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if "__extra__" in query:
            extra = json.loads(query["__extra__"])
        else:
            for key, raw in query.items():
                try:
                    extra[key] = json.loads(raw) if raw else raw
                except json.JSONDecodeError:
                    extra[key] = raw
    schema = parts.path[1:]
    return EnvConnection(
        conn_id=conn_id,
        conn_type=_conn_type(scheme),
        host=unquote(parts.hostname) if parts.hostname else None,
        schema=unquote(schema) if schema else None,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        port=parts.port,
        extra_dejson=extra if isinstance(extra, dict) else {},
    )


def connection_from_env(conn_id: str, environ: Mapping[str, str] | None = None) -> EnvConnection | None:
    """
    Connection *conn_id* from ``AIRFLOW_CONN_<CONN_ID>`` (URI or JSON form), parsed as Airflow does,
    without importing Airflow; ``None`` when the variable is unset or in a form only Airflow reads.
    """
    value = (os.environ if environ is None else environ).get(f"AIRFLOW_CONN_{conn_id.upper()}", "").strip()
    if not value:
        return None
    try:
        return _from_json(conn_id, value) if value.startswith("{") else _from_uri(conn_id, value)
    except (ValueError, TypeError):
        return None  # Airflow's own parser will name what is wrong
