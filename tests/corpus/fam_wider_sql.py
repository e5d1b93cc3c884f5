"""A wave of database clients the first waves do not use, raised live against the same servers:
mysql-connector-python (``errno``/``sqlstate`` on its own hierarchy, C and pure-Python protocol)
and aiomysql against MariaDB; psycopg's asyncio connection against PostgreSQL; redis.asyncio
against Redis."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

import aiomysql
import mysql.connector
import psycopg
import redis.asyncio as aredis

from tests.corpus.fam_mysql import admin_connection as mysql_admin
from tests.corpus.fam_redis import SHARED_PORT
from tests.corpus.model import C, D, Family, T
from tests.corpus.servers import free_port, pg_database

SCHEMA = (
    "CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty SMALLINT)",
    "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT REFERENCES parent (id))",
    "INSERT INTO parent VALUES (1, 'one', 1), (2, 'two', 2)",
)


def _sync(make: Callable[[], Coroutine[Any, Any, Any]]) -> Callable[[], Any]:
    return lambda: asyncio.run(make())


def build(family: Family, closing: list[Any]) -> None:
    _mysql_cases(family, closing)
    _psycopg_async_cases(family, closing)
    _redis_async_cases(family, closing)


def _mysql_cases(family: Family, closing: list[Any]) -> None:
    admin, server = mysql_admin()
    db = f"errorguard_corpus_{secrets.token_hex(4)}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db}`")
        for statement in SCHEMA:
            cur.execute(statement.replace("TABLE ", f"TABLE `{db}`.", 1).replace("INTO ", f"INTO `{db}`.", 1))

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        admin.close()

    closing.append(drop)
    base = {k: v for k, v in server.items() if k in ("host", "port", "user", "password")}
    holder = mysql.connector.connect(**base, database=db, autocommit=False, use_pure=True)
    closing.append(holder.close)
    locker = holder.cursor()
    locker.execute("SELECT * FROM parent WHERE id = 1 FOR UPDATE")
    locker.fetchall()

    def connector(*statements: str, pure: bool = True, **overrides: Any) -> Callable[[], None]:
        def run() -> None:
            conn = mysql.connector.connect(
                **{**base, "database": db, "connection_timeout": 5, "use_pure": pure, **overrides}
            )
            try:
                cur = conn.cursor()
                cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO'")
                for one in statements:
                    cur.execute(one)
                    if cur.with_rows:
                        cur.fetchall()
            finally:
                conn.close()

        return run

    for pure in (True,):
        tag = "myconn"
        for name, run, accept, why in (
            (
                "duplicate",
                connector("INSERT INTO parent VALUES (2, 'dup', 0)", pure=pure),
                D,
                "1062 duplicate",
            ),
            ("not-null", connector("INSERT INTO parent VALUES (9, NULL, 0)", pure=pure), D, "1048 not null"),
            ("too-long", connector("INSERT INTO parent VALUES (9, 'far too long', 0)", pure=pure), D, "1406"),
            ("fk", connector("INSERT INTO child VALUES (1, 999)", pure=pure), D, "1452 foreign key fails"),
            ("no-table", connector("SELECT * FROM missing_table", pure=pure), C, "1146 no such table"),
            ("syntax", connector("SELEC 1", pure=pure), C, "1064 syntax error in the SQL"),
            ("unknown-db", connector("SELECT 1", pure=pure, database="no_such_db_eg"), C, "1049 unknown db"),
            ("bad-password", connector("SELECT 1", pure=pure, user="nobody_eg", password="x"), C, "1045"),
            ("refused", connector("SELECT 1", pure=pure, port=free_port()), T, "2003 can't connect: refused"),
        ):
            family.add(f"{tag}-{name}", run, accept, f"mysql-connector: {why}")
    for name, run, accept, why in (
        ("out-of-range", connector("INSERT INTO parent VALUES (9, 'n', 100000)"), D, "1264 out of range"),
        ("bad-int", connector("INSERT INTO parent VALUES (9, 'n', 'abc')"), D, "1366 incorrect integer"),
        ("div-zero", connector("INSERT INTO parent VALUES (9, 'n', 1/0)"), D, "1365 division by 0"),
        ("no-column", connector("SELECT customer_id FROM parent"), C, "1054 unknown column"),
        ("no-function", connector("SELECT no_such_fn_eg(1)"), C, "1305 function does not exist"),
        (
            "lock-wait",
            connector(
                "SET SESSION innodb_lock_wait_timeout = 1", "UPDATE parent SET name = 'x' WHERE id = 1"
            ),
            T,
            "1205 lock wait timeout",
        ),
        (
            "statement-time",
            connector("SET SESSION max_statement_time = 0.05", "SELECT SLEEP(2) FROM parent"),
            T,
            "1969 max_statement_time exceeded",
        ),
        ("unknown-host", connector("SELECT 1", host="no-such-host.invalid"), C, "2005 unknown host"),
        ("no-db-selected", connector("SELECT * FROM parent", database=None), C, "1046 no database selected"),
    ):
        family.add(f"myconn-{name}", run, accept, f"mysql-connector: {why}")

    def killed() -> None:
        conn = mysql.connector.connect(**base, database=db, use_pure=True)
        try:
            with admin.cursor() as cur:
                cur.execute(f"KILL {conn.connection_id}")
            cur2 = conn.cursor()
            cur2.execute("SELECT 1")
            cur2.fetchall()
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    family.add("myconn-killed", killed, T, "mysql-connector: the server killed the connection (2013/4031)")
    _aiomysql_cases(family, base, db)


def _aiomysql_cases(family: Family, base: dict[str, Any], db: str) -> None:
    def aio(*statements: str, **overrides: Any) -> Callable[[], Any]:
        async def go() -> None:
            conn = await aiomysql.connect(**{**base, "db": db, "connect_timeout": 5, **overrides})
            try:
                async with conn.cursor() as cur:
                    await cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
                    for one in statements:
                        await cur.execute(one)
            finally:
                conn.close()

        return _sync(go)

    for name, run, accept, why in (
        ("duplicate", aio("INSERT INTO parent VALUES (2, 'dup', 0)"), D, "1062 duplicate entry"),
        ("too-long", aio("INSERT INTO parent VALUES (9, 'far too long', 0)"), D, "1406 data too long"),
        ("no-table", aio("SELECT * FROM missing_table"), C, "1146 no such table"),
        ("syntax", aio("SELEC 1"), C, "1064 syntax error"),
        ("bad-password", aio("SELECT 1", user="nobody_eg", password="x"), C, "1045 access denied"),
        ("refused", aio("SELECT 1", port=free_port()), T, "2003 can't connect: refused"),
        (
            "lock-wait",
            aio("SET SESSION innodb_lock_wait_timeout = 1", "UPDATE parent SET name = 'x' WHERE id = 1"),
            T,
            "1205 lock wait timeout",
        ),
    ):
        family.add(f"aiomysql-{name}", run, accept, f"aiomysql: {why}")


def _psycopg_async_cases(family: Family, closing: list[Any]) -> None:
    dbname, server = pg_database(closing)
    conninfo = " ".join(f"{k}={v}" for k, v in server.items())

    def sql(*statements: str, target: str = dbname, extra: str = "") -> Callable[[], Any]:
        async def go() -> None:
            async with await psycopg.AsyncConnection.connect(
                f"{conninfo} dbname={target} connect_timeout=5 {extra}", autocommit=True
            ) as conn:
                for one in statements:
                    await conn.execute(one)  # type: ignore[arg-type]

        return _sync(go)

    asyncio.run(_prepare(f"{conninfo} dbname={dbname}"))
    for name, run, accept, why in (
        ("unique", sql("INSERT INTO parent VALUES (1, 'dup', 0)"), D, "23505 unique violation"),
        ("fk", sql("INSERT INTO child VALUES (1, 999)"), D, "23503 foreign key violation"),
        ("numeric-range", sql("INSERT INTO parent VALUES (9, 'n', 100000)"), D, "22003 out of range"),
        ("no-table", sql("SELECT * FROM missing_table"), C, "42P01 undefined table"),
        ("statement-timeout", sql("SET statement_timeout = 50", "SELECT pg_sleep(2)"), T, "57014 canceled"),
        ("unknown-db", sql("SELECT 1", target="no_such_db_eg"), C, "3D000 database does not exist"),
        ("refused", sql("SELECT 1", extra=f"port={free_port()}"), T, "connection refused"),
        ("bad-user", sql("SELECT 1", extra="user=no_such_role_eg"), C, "28000 role does not exist"),
    ):
        family.add(f"psycopg-async-{name}", run, accept, f"psycopg AsyncConnection: {why}")


async def _prepare(conninfo: str) -> None:
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        for statement in SCHEMA:
            await conn.execute(statement)  # type: ignore[arg-type]


def _redis_async_cases(family: Family, closing: list[Any]) -> None:
    key = f"errorguard-corpus-{secrets.token_hex(4)}"

    def run(port: int, *command: Any, **kwargs: Any) -> Callable[[], Any]:
        async def go() -> None:
            client = aredis.Redis(host="127.0.0.1", port=port, socket_timeout=5, **kwargs)
            try:
                await client.rpush(key, "x")
                await client.execute_command(*command)
            finally:
                await client.delete(key)
                await client.aclose()

        return _sync(go)

    async def refused() -> None:
        client = aredis.Redis(host="127.0.0.1", port=free_port(), socket_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()

    async def blocked() -> None:
        client = aredis.Redis(host="127.0.0.1", port=SHARED_PORT, socket_timeout=0.1)
        try:
            await client.blpop([f"{key}-empty"], timeout=2)
        finally:
            await client.aclose()

    family.add("redis-async-refused", _sync(refused), T, "redis.asyncio: connection refused")
    family.add("redis-async-read-timeout", _sync(blocked), T, "redis.asyncio: the socket read timed out")
    for name, command, accept, why in (
        ("wrongtype", ("GET", key), {D, C}, "WRONGTYPE: the key holds another type"),
        ("unknown-command", ("NO_SUCH_COMMAND_EG",), C, "ERR unknown command: a client/server mismatch"),
        ("bad-arity", ("GET",), C, "ERR wrong number of arguments: a programming error"),
        ("not-integer", ("INCRBY", f"{key}-n", "abc"), {D, C}, "ERR value is not an integer: bad input"),
        ("script-error", ("EVAL", "return redis.call('NOPE')", "0"), C, "a Lua script error: fix the script"),
        ("no-auth", ("AUTH", "nobody_eg", "x"), C, "WRONGPASS: the credentials are wrong"),
    ):
        family.add(f"redis-async-{name}", run(SHARED_PORT, *command), accept, f"redis.asyncio: {why}")
