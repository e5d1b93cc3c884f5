"""A deeper wave of MariaDB/MySQL error numbers raised live through PyMySQL in a throwaway database:
a deadlock between two real transactions, per-user resource limits and grants on a throwaway
account, read-only transactions, DDL conflicts, value errors under strict SQL modes, a killed query
and a client read timeout."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from typing import Any

import pymysql

from tests.corpus.fam_mysql import admin_connection
from tests.corpus.model import C, D, Family, T

STRICT = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO'"


def build(family: Family, closing: list[Any]) -> None:
    admin, server = admin_connection()
    db = f"errorguard_deep_{secrets.token_hex(4)}"
    user, password = f"eg_deep_{secrets.token_hex(3)}", secrets.token_hex(8)
    quota = f"eg_quota_{secrets.token_hex(3)}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db}`")
        for one in (
            f"CREATE TABLE `{db}`.parent (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, "
            "kind ENUM('a', 'b'), at DATE, qty INT CHECK (qty >= 0), note VARCHAR(5) NOT NULL) ENGINE=InnoDB",
            f"CREATE TABLE `{db}`.child (id INT PRIMARY KEY, parent_id INT, "
            f"FOREIGN KEY (parent_id) REFERENCES `{db}`.parent (id)) ENGINE=InnoDB",
            f"INSERT INTO `{db}`.parent VALUES (1, 'one', 'a', NULL, 1, 'x'), (2, 'two', 'b', NULL, 2, 'y'), "
            "(10, 'ten', 'a', NULL, 3, 'z'), (11, 'eleven', 'a', NULL, 4, 'w')",
            f"INSERT INTO `{db}`.child VALUES (1, 1)",
            f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}' WITH MAX_USER_CONNECTIONS 1",
            f"GRANT SELECT ON `{db}`.* TO '{user}'@'%'",
            f"CREATE USER '{quota}'@'%' IDENTIFIED BY '{password}' WITH MAX_QUERIES_PER_HOUR 1",
            f"GRANT SELECT ON `{db}`.* TO '{quota}'@'%'",
        ):
            cur.execute(one)

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
            cur.execute(f"DROP USER IF EXISTS '{quota}'@'%'")
        admin.close()

    closing.append(drop)
    params = {**server, "database": db}
    limited = {**params, "user": user, "password": password}

    def sql(*statements: str, **overrides: Any) -> Any:
        def run() -> None:
            conn = pymysql.connect(**{**params, **overrides})
            try:
                with conn.cursor() as cur:
                    cur.execute(STRICT)
                    for one in statements:
                        cur.execute(one)
            finally:
                conn.close()

        return run

    def user_connections() -> None:
        held = pymysql.connect(**limited)
        try:
            pymysql.connect(**limited).close()
        finally:
            held.close()

    def query_quota() -> None:
        conn = pymysql.connect(**{**params, "user": quota, "password": password})
        try:
            with conn.cursor() as cur:
                for _ in range(3):
                    cur.execute("SELECT 1")
        finally:
            conn.close()

    for name, run, accept, why in (
        (
            "deadlock",
            lambda: _deadlock(params),
            T,
            "1213 deadlock found between two real transactions: restart it",
        ),
        ("user-connections", user_connections, T, "1203 the user already has max_user_connections open"),
        ("query-quota", query_quota, {T, C}, "1226 max_questions per hour exceeded: a quota"),
        (
            "killed-query",
            lambda: _killed_query(params, admin),
            T,
            "1317 the query was interrupted (KILL QUERY by an operator)",
        ),
        (
            "read-timeout",
            sql("SELECT SLEEP(3)", read_timeout=0.5),
            T,
            "2013 lost connection during query: the client's read timed out",
        ),
        (
            "read-only-txn",
            sql("START TRANSACTION READ ONLY", "INSERT INTO child VALUES (5, 1)"),
            C,
            "1792 cannot execute in a read-only transaction",
        ),
        (
            "db-denied",
            sql("SELECT 1", database="mysql", user=user, password=password),
            C,
            "1044 access denied to db",
        ),
        (
            "command-denied",
            sql("INSERT INTO child VALUES (6, 1)", user=user, password=password),
            C,
            "1142 INSERT command denied to the user",
        ),
        (
            "need-super",
            sql("SET GLOBAL max_connections = 500", user=user, password=password),
            C,
            "1227 need SUPER",
        ),
        ("table-exists", sql("CREATE TABLE parent (id INT)"), C, "1050 table already exists"),
        (
            "cannot-drop-column",
            sql("ALTER TABLE parent DROP COLUMN nope"),
            C,
            "1091 can't drop: doesn't exist",
        ),
        ("ambiguous-column", sql("SELECT id FROM parent, child"), C, "1052 column is ambiguous"),
        ("union-columns", sql("SELECT 1 UNION SELECT 1, 2"), C, "1222 different number of columns"),
        ("unknown-variable", sql("SET SESSION no_such_variable_eg = 1"), C, "1193 unknown system variable"),
        ("bad-variable-value", sql("SET SESSION sql_mode = 'NO_SUCH_MODE'"), C, "1231 variable can't be set"),
        ("unknown-charset", sql("SET NAMES no_such_charset"), C, "1115 unknown character set"),
        ("unknown-collation", sql("SELECT 'a' COLLATE no_such_collation"), C, "1273 unknown collation"),
        (
            "bad-date",
            sql("INSERT INTO parent VALUES (20, 'n', 'a', '2026-13-45', 1, 'x')"),
            D,
            "1292 incorrect date value",
        ),
        (
            "div-zero",
            sql("INSERT INTO parent VALUES (21, 'n', 'a', NULL, 1 / 0, 'x')"),
            D,
            "1365 division by 0",
        ),
        (
            "bad-enum",
            sql("INSERT INTO parent VALUES (22, 'n', 'zzz', NULL, 1, 'x')"),
            D,
            "1265 data truncated (enum)",
        ),
        (
            "check",
            sql("INSERT INTO parent VALUES (23, 'n', 'a', NULL, -1, 'x')"),
            D,
            "4025 CHECK constraint failed",
        ),
        (
            "no-default",
            sql("INSERT INTO parent (id, name) VALUES (24, 'n')"),
            D,
            "1364 field has no default value",
        ),
        (
            "subquery-rows",
            sql("SELECT (SELECT id FROM parent)"),
            {D, C},
            "1242 subquery returns more than 1 row",
        ),
        (
            "unsigned-range",
            sql("SELECT CAST(0 AS UNSIGNED) - 1"),
            D,
            "1690 BIGINT UNSIGNED value is out of range",
        ),
        ("restrict-delete", sql("DELETE FROM parent WHERE id = 1"), D, "1451 a child row references the row"),
        (
            "bad-password",
            sql("SELECT 1", user=user, password="wrong"),
            C,
            "1045 access denied: wrong password for an existing user",
        ),
    ):
        family.add(name, run, accept, why)


def _deadlock(params: dict[str, Any]) -> None:
    first, second = pymysql.connect(**params), pymysql.connect(**params)
    caught: list[BaseException] = []

    def blocked() -> None:
        try:
            with second.cursor() as cur:
                cur.execute("UPDATE parent SET name = 'b' WHERE id = 10")
        except pymysql.MySQLError as exc:
            caught.append(exc)

    try:
        with first.cursor() as a, second.cursor() as b:
            a.execute("BEGIN")
            a.execute("UPDATE parent SET name = 'a' WHERE id = 10")
            b.execute("BEGIN")
            b.execute("UPDATE parent SET name = 'b' WHERE id = 11")
            thread = threading.Thread(target=blocked)
            thread.start()
            time.sleep(0.3)
            try:
                a.execute("UPDATE parent SET name = 'a' WHERE id = 11")
            except pymysql.MySQLError as exc:
                caught.append(exc)
            thread.join(10)
        if caught:
            raise caught[0]
    finally:
        for conn in (first, second):
            with contextlib.suppress(pymysql.MySQLError):
                conn.rollback()
                conn.close()


def _killed_query(params: dict[str, Any], admin: Any) -> None:
    conn = pymysql.connect(**params)
    timer = threading.Timer(0.3, lambda: admin.cursor().execute(f"KILL QUERY {conn.thread_id()}"))
    timer.start()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT SLEEP(5) FROM parent WHERE id = 1")
            row = cur.fetchone()
            if row and row[0] == 1:
                raise RuntimeError("SLEEP was interrupted but returned 1 instead of raising")
    finally:
        timer.join()
        conn.close()
