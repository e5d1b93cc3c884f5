"""A deeper wave of PostgreSQL SQLSTATEs, raised live through every installed driver (psycopg2,
psycopg 3, asyncpg, pg8000) in a throwaway database: deadlocks between two real transactions, a
role's connection limit, DDL conflicts and value errors the first wave does not have."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.corpus.fam_postgres import _Conn, admin_connection
from tests.corpus.model import C, D, Family, T

SCHEMA = """
CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL, at date);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
CREATE TABLE booking (id int PRIMARY KEY, during int4range, EXCLUDE USING gist (during WITH &&));
CREATE SEQUENCE tiny MINVALUE 1 MAXVALUE 2;
INSERT INTO parent VALUES (1, 'one', NULL), (2, 'two', NULL), (10, 'ten', NULL), (11, 'eleven', NULL);
INSERT INTO child VALUES (1, 1);
INSERT INTO booking VALUES (1, '[1,10)');
SELECT nextval('tiny'); SELECT nextval('tiny');
"""


def build(family: Family, closing: list[Any]) -> None:
    admin, server = admin_connection()
    dbname = f"errorguard_deep_{secrets.token_hex(4)}"
    limited = f"eg_limited_{secrets.token_hex(3)}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{dbname}"')
        cur.execute(f'CREATE ROLE "{limited}" LOGIN CONNECTION LIMIT 0')

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            cur.execute(f'DROP ROLE IF EXISTS "{limited}"')
        admin.close()

    closing.append(drop)
    params = {**server, "dbname": dbname}
    setup = _Conn("psycopg2", params)
    setup.execute(SCHEMA)
    setup.close()
    other = _Conn("psycopg2", params)
    closing.append(other.close)

    for driver in ("psycopg2", "psycopg", "asyncpg", "pg8000"):
        for name, scenario, accept, why in _scenarios(other, params):

            def run(s: Callable[[_Conn], None] = scenario, d: str = driver) -> None:
                conn = _Conn(d, params)
                try:
                    s(conn)
                finally:
                    conn.close()

            family.add(f"{driver}-{name}", run, accept, why)
        family.add(
            f"{driver}-role-connection-limit",
            lambda d=driver: _Conn(d, {**params, "user": limited}),
            T,
            "53300 too many connections for role: a slot frees up when another session ends",
        )


def _scenarios(other: _Conn, params: dict[str, Any]) -> list[tuple[str, Callable[[_Conn], None], Any, str]]:
    def statements(*sql: str) -> Callable[[_Conn], None]:
        def run(conn: _Conn) -> None:
            for one in sql:
                conn.execute(one)

        return run

    def deadlock(conn: _Conn) -> None:
        peer = _Conn("psycopg2", params)
        try:
            conn.execute("SET deadlock_timeout = '100ms'")
            conn.execute("BEGIN")
            conn.execute("UPDATE parent SET name = 'a' WHERE id = 10")
            peer.execute("BEGIN")
            peer.execute("SET LOCAL deadlock_timeout = '10s'")
            peer.execute("UPDATE parent SET name = 'b' WHERE id = 11")
            blocked = threading.Thread(target=_swallow(peer, "UPDATE parent SET name = 'b' WHERE id = 10"))
            blocked.start()
            time.sleep(0.2)
            try:
                conn.execute("UPDATE parent SET name = 'a' WHERE id = 11")
            finally:
                blocked.join(10)
                _swallow(peer, "ROLLBACK")()
        finally:
            peer.close()

    def failed_transaction(conn: _Conn) -> None:
        conn.execute("BEGIN")
        _swallow(conn, "SELECT 1 / 0")()
        conn.execute("SELECT 1")

    return [
        ("deadlock", deadlock, T, "40P01 deadlock detected between two real transactions: rerun"),
        ("duplicate-table", statements("CREATE TABLE parent (id int)"), C, "42P07 relation already exists"),
        (
            "ambiguous-column",
            statements("SELECT id FROM parent, child"),
            C,
            "42702 ambiguous column: a bad query",
        ),
        (
            "datatype-mismatch",
            statements("UPDATE parent SET at = true WHERE id = 1"),
            C,
            "42804 column is date but expression is boolean: the query is wrong",
        ),
        (
            "undefined-role",
            statements("SET ROLE no_such_role_errorguard"),
            C,
            "22023/42704 role does not exist",
        ),
        (
            "bad-setting-value",
            statements("SET statement_timeout = 'soon'"),
            C,
            "22023 invalid value for a parameter: a setting is wrong",
        ),
        (
            "dependent-objects",
            statements("DROP TABLE parent"),
            C,
            "2BP01 other objects depend on it: the DDL is wrong, not the data",
        ),
        (
            "feature-not-supported",
            statements("SELECT count(*) FROM parent FOR UPDATE"),
            C,
            "0A000 FOR UPDATE with an aggregate is not supported",
        ),
        ("bad-date-format", statements("SELECT 'not a date'::date"), D, "22007 invalid datetime syntax"),
        ("bad-regex", statements("SELECT 'a' ~ '('"), {D, C}, "2201B invalid regular expression"),
        (
            "bad-encoding",
            statements("SELECT convert_from('\\xff'::bytea, 'UTF8')"),
            D,
            "22021 invalid byte sequence for encoding UTF8",
        ),
        (
            "cardinality",
            statements("SELECT (SELECT id FROM parent)"),
            {D, C},
            "21000 more than one row returned by a subquery",
        ),
        ("exclusion", statements("INSERT INTO booking VALUES (2, '[5,6)')"), D, "23P01 exclusion violation"),
        (
            "sequence-limit",
            statements("SELECT nextval('tiny')"),
            {D, C},
            "2200H sequence reached its maximum",
        ),
        (
            "restrict-delete",
            statements("DELETE FROM parent WHERE id = 1"),
            D,
            "23503 a child row still references this row",
        ),
        (
            "failed-transaction",
            failed_transaction,
            {C, D, T},
            "25P02 an earlier statement failed in this txn",
        ),
    ]


def _swallow(conn: _Conn, sql: str) -> Callable[[], None]:
    def run() -> None:
        with contextlib.suppress(Exception):
            conn.execute(sql)

    return run
