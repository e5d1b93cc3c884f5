"""
PostgreSQL through psycopg2, psycopg 3, asyncpg and pg8000, each driver putting the SQLSTATE
somewhere else (``pgcode``, ``sqlstate``/``diag``, a class attribute, an ``args[0]`` dict).

Every case runs live against a throwaway database on the server at ``$ERRORGUARD_TEST_PG_URL``
(default ``postgresql://postgres@127.0.0.1:5432/postgres``), dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pg8000.native
import psycopg
import psycopg2

from tests.corpus.model import C, D, Family, ServiceMissing, T
from tests.corpus.servers import free_port

URL = os.environ.get("ERRORGUARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCHEMA = """
CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL, code varchar(3),
                     amount numeric CONSTRAINT amount_positive CHECK (amount >= 0));
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
INSERT INTO parent VALUES (1, 'one', 'a', 1), (2, 'two', 'b', 2), (3, 'three', 'c', 3);
"""


class _Conn:
    """One driver's connection behind ``execute(sql)`` / ``pid`` / ``close()``, autocommit."""

    def __init__(self, driver: str, params: dict[str, Any]) -> None:
        self.driver = driver
        if driver == "psycopg2":
            self.raw = psycopg2.connect(**params, connect_timeout=5)
            self.raw.autocommit = True
        elif driver == "psycopg":
            self.raw = psycopg.connect(**params, autocommit=True, connect_timeout=5)
        elif driver == "asyncpg":
            self.loop = asyncio.new_event_loop()
            self.raw = self.loop.run_until_complete(
                asyncpg.connect(
                    host=params["host"],
                    port=params["port"],
                    user=params["user"],
                    database=params["dbname"],
                    timeout=5,
                )
            )
        else:
            self.raw = pg8000.native.Connection(
                params["user"], host=params["host"], port=params["port"], database=params["dbname"], timeout=5
            )

    def execute(self, sql: str) -> Any:
        if self.driver == "psycopg2":
            with self.raw.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else None
        if self.driver == "psycopg":
            cur = self.raw.execute(sql)
            return cur.fetchall() if cur.description else None
        if self.driver == "asyncpg":
            return self.loop.run_until_complete(self.raw.fetch(sql))
        return self.raw.run(sql)

    def close(self) -> None:
        try:
            if self.driver == "asyncpg":
                self.loop.run_until_complete(self.raw.close(timeout=5))
                self.loop.close()
            else:
                self.raw.close()
        except Exception:
            pass


def admin_connection() -> tuple[Any, dict[str, Any]]:
    """An autocommit psycopg2 connection to the server's admin database, and its server keywords."""
    parts = urlsplit(URL)
    server = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
    }
    try:
        admin = psycopg2.connect(**server, dbname=(parts.path.lstrip("/") or "postgres"), connect_timeout=5)
    except psycopg2.Error as exc:
        raise ServiceMissing(f"PostgreSQL at {server['host']}:{server['port']}", exc) from exc
    admin.autocommit = True
    return admin, server


def build(family: Family, closing: list[Any]) -> None:
    admin, server = admin_connection()
    dbname = f"errorguard_corpus_{secrets.token_hex(4)}"
    role = f"eg_reader_{secrets.token_hex(3)}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{dbname}"')
        cur.execute(f'CREATE ROLE "{role}" NOLOGIN')

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            cur.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()

    closing.append(drop)
    params = {**server, "dbname": dbname}
    holder = _Conn("psycopg2", params)
    closing.append(holder.close)
    holder.execute(SCHEMA)
    holder.execute("BEGIN; SELECT * FROM parent WHERE id = 1 FOR UPDATE")  # held for the lock cases

    other = _Conn("psycopg2", params)
    closing.append(other.close)

    scenarios = _scenarios(role, other)
    _connection_cases(family, params)
    refused = free_port()
    for driver in ("psycopg2", "psycopg", "asyncpg", "pg8000"):
        for name, scenario, accept, why in scenarios:

            def run(s: Callable[[_Conn], None] = scenario, d: str = driver) -> None:
                conn = _Conn(d, params)
                try:
                    s(conn)
                finally:
                    conn.close()

            family.add(f"{driver}-{name}", run, accept, why)
        family.add(
            f"{driver}-unknown-role",
            lambda d=driver: _Conn(d, {**params, "user": "no_such_role_errorguard"}),
            C,
            "28000 role does not exist: wrong user",
        )
        family.add(
            f"{driver}-unknown-db",
            lambda d=driver: _Conn(d, {**params, "dbname": "no_such_db_errorguard"}),
            C,
            "3D000 database does not exist",
        )
        family.add(
            f"{driver}-refused",
            lambda d=driver: _Conn(d, {**params, "port": refused}),
            T,
            "connection refused: server down",
        )


def _connection_cases(family: Family, params: dict[str, Any]) -> None:
    """Connection settings that do not match the server, and a cancelled statement."""
    family.add(
        "psycopg2-sslmode-require",
        lambda: psycopg2.connect(**params, sslmode="require", connect_timeout=5),
        C,
        "sslmode=require against a server without TLS: the connection's settings are wrong",
    )
    family.add(
        "psycopg2-unknown-host",
        lambda: psycopg2.connect(**{**params, "host": "no-such-host.invalid"}, connect_timeout=5),
        {C, T},
        "the host name does not resolve",
    )
    family.add(
        "psycopg-cancelled",
        lambda: _Conn("psycopg", params).execute("SELECT pg_cancel_backend(pg_backend_pid())"),
        T,
        "57014 cancelled by a user/administrator request",
    )


def _scenarios(role: str, other: _Conn) -> list[tuple[str, Callable[[_Conn], None], Any, str]]:
    """What every driver runs: ``(name, scenario(conn), acceptable, why)``."""

    def statements(*sql: str) -> Callable[[Any], None]:
        def run(conn: _Conn) -> None:
            for one in sql:
                conn.execute(one)

        return run

    def serialization(conn: _Conn) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        conn.execute("SELECT * FROM parent WHERE id = 3")
        other.execute("UPDATE parent SET name = 'changed' WHERE id = 3")
        conn.execute("UPDATE parent SET name = 'mine' WHERE id = 3")

    def terminated(conn: _Conn) -> None:
        pid = conn.execute("SELECT pg_backend_pid()")[0][0]
        other.execute(f"SELECT pg_terminate_backend({pid})")
        conn.execute("SELECT 1")

    return [
        ("unique", statements("INSERT INTO parent VALUES (2, 'dup', 'x', 0)"), D, "23505 unique violation"),
        ("not-null", statements("INSERT INTO parent VALUES (9, NULL, 'x', 0)"), D, "23502 not-null"),
        ("check", statements("INSERT INTO parent VALUES (9, 'n', 'x', -5)"), D, "23514 check violation"),
        ("fk", statements("INSERT INTO child VALUES (1, 999)"), D, "23503 foreign key violation"),
        ("too-long", statements("INSERT INTO parent VALUES (9, 'n', 'abcdef', 0)"), D, "22001 too long"),
        ("bad-int", statements("SELECT 'abc'::int"), D, "22P02 invalid text representation"),
        ("overflow", statements("SELECT 2147483647::int + 1"), D, "22003 out of range"),
        ("div-zero", statements("SELECT 1 / 0"), D, "22012 division by zero"),
        ("bad-date", statements("SELECT '2026-13-45'::date"), D, "22008 datetime field overflow"),
        ("no-table", statements("SELECT * FROM missing_table"), C, "42P01 undefined table"),
        ("no-column", statements("SELECT customer_id FROM parent"), C, "42703 undefined column"),
        ("syntax", statements("SELEC 1"), C, "42601 syntax error"),
        ("no-function", statements("SELECT no_such_function(1)"), C, "42883 undefined function"),
        (
            "privilege",
            statements(f'SET ROLE "{role}"', "SELECT * FROM parent"),
            C,
            "42501 insufficient privilege",
        ),
        (
            "read-only",
            statements("BEGIN READ ONLY", "INSERT INTO child VALUES (5, 1)"),
            C,
            "25006 read-only txn",
        ),
        (
            "nowait",
            statements("SELECT * FROM parent WHERE id = 1 FOR UPDATE NOWAIT"),
            T,
            "55P03 lock not available",
        ),
        (
            "lock-timeout",
            statements("SET lock_timeout = '50ms'", "UPDATE parent SET name = 'x' WHERE id = 1"),
            T,
            "55P03 lock timeout",
        ),
        (
            "statement-timeout",
            statements("SET statement_timeout = '50ms'", "SELECT pg_sleep(2)"),
            T,
            "57014 statement timeout",
        ),
        ("serialization", serialization, T, "40001 could not serialize access: rerun the transaction"),
        ("admin-shutdown", terminated, T, "57P01 terminated by an administrator (failover, restart)"),
    ]
