"""MariaDB/MySQL through PyMySQL (error number in ``args[0]``) against ``$ERRORGUARD_TEST_MYSQL_URL``
(default ``mysql://root@127.0.0.1:3306``), in a throwaway database."""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import Any
from urllib.parse import urlsplit

import pymysql

from tests.corpus.model import C, D, Family, ServiceMissing, T
from tests.corpus.servers import free_port

URL = urlsplit(os.environ.get("ERRORGUARD_TEST_MYSQL_URL") or "mysql://root@127.0.0.1:3306")


def admin_connection() -> tuple[Any, dict[str, Any]]:
    """An autocommit PyMySQL connection as the URL's (admin) user, and its connection keywords."""
    server = {
        "host": URL.hostname or "127.0.0.1",
        "port": URL.port or 3306,
        "user": URL.username or "root",
        "password": URL.password or "",
        "connect_timeout": 5,
        "autocommit": True,
    }
    try:
        admin = pymysql.connect(**server)
    except pymysql.MySQLError as exc:
        raise ServiceMissing(f"MariaDB at {server['host']}:{server['port']}", exc) from exc
    return admin, server


def build(family: Family, closing: list[Any]) -> None:
    admin, server = admin_connection()
    db = f"errorguard_corpus_{secrets.token_hex(4)}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db}`")
        cur.execute(
            f"CREATE TABLE `{db}`.parent (id INT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty TINYINT) "
            "ENGINE=InnoDB"
        )
        cur.execute(
            f"CREATE TABLE `{db}`.child (id INT PRIMARY KEY, parent_id INT, "
            f"FOREIGN KEY (parent_id) REFERENCES `{db}`.parent (id)) ENGINE=InnoDB"
        )
        cur.execute(f"INSERT INTO `{db}`.parent VALUES (1, 'one', 1), (2, 'two', 2)")

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        admin.close()

    closing.append(drop)
    params = {**server, "database": db}
    holder = pymysql.connect(**{**params, "autocommit": False})
    closing.append(holder.close)
    with holder.cursor() as cur:
        cur.execute("SELECT * FROM parent WHERE id = 1 FOR UPDATE")

    def sql(*statements: str, **overrides: Any) -> Any:
        def run() -> None:
            conn = pymysql.connect(**{**params, **overrides})
            try:
                with conn.cursor() as cur:
                    cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
                    for one in statements:
                        cur.execute(one)
            finally:
                conn.close()

        return run

    for name, run, accept, why in (
        ("duplicate", sql("INSERT INTO parent VALUES (2, 'dup', 0)"), D, "1062 duplicate entry"),
        ("not-null", sql("INSERT INTO parent VALUES (9, NULL, 0)"), D, "1048 column cannot be null"),
        ("too-long", sql("INSERT INTO parent VALUES (9, 'far too long', 0)"), D, "1406 data too long"),
        ("out-of-range", sql("INSERT INTO parent VALUES (9, 'n', 1000)"), D, "1264 out of range"),
        ("bad-value", sql("INSERT INTO parent VALUES (9, 'n', 'abc')"), D, "1366 incorrect integer value"),
        ("fk", sql("INSERT INTO child VALUES (1, 999)"), D, "1452 foreign key constraint fails"),
        ("no-table", sql("SELECT * FROM missing_table"), C, "1146 table doesn't exist"),
        ("no-column", sql("SELECT customer_id FROM parent"), C, "1054 unknown column"),
        ("syntax", sql("SELEC 1"), C, "1064 syntax error"),
        (
            "lock-wait",
            sql("SET SESSION innodb_lock_wait_timeout = 1", "UPDATE parent SET name = 'x' WHERE id = 1"),
            T,
            "1205 lock wait timeout",
        ),
        (
            "statement-time",
            sql("SET SESSION max_statement_time = 0.05", "SELECT SLEEP(2) FROM parent"),
            T,
            "1969 query interrupted: max_statement_time exceeded",
        ),
        ("unknown-table-drop", sql("DROP TABLE missing_table"), C, "1051 unknown table"),
        ("column-count", sql("INSERT INTO parent VALUES (9)"), {D, C}, "1136 column count mismatch"),
        ("no-function", sql("SELECT no_such_function(1)"), C, "1305 function does not exist"),
        ("bad-date", sql("UPDATE parent SET qty = 'x' WHERE id = 2"), D, "1366 incorrect integer value"),
        ("no-db-selected", sql("SELECT * FROM parent", database=None), C, "1046 no database selected"),
        ("unknown-db", sql("SELECT 1", database="no_such_db_errorguard"), C, "1049 unknown database"),
        ("bad-password", sql("SELECT 1", user="no_such_user_eg", password="x"), C, "1045 access denied"),
        ("refused", sql("SELECT 1", port=free_port()), T, "2003 can't connect"),
        ("unknown-host", sql("SELECT 1", host="no-such-host.invalid"), C, "2003 whose cause is EAI_NONAME"),
    ):
        family.add(name, run, accept, why)

    def killed() -> None:
        conn = pymysql.connect(**params)
        try:
            with admin.cursor() as cur:
                cur.execute(f"KILL {conn.thread_id()}")
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
        finally:
            with contextlib.suppress(pymysql.MySQLError):
                conn.close()

    family.add("killed", killed, T, "the connection was killed by the server (2013/4031/1927)")
