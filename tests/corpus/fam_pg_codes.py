"""PostgreSQL SQLSTATEs no other family raises, live through psycopg 3 and asyncpg in a throwaway
database: more of class 22 (data: logarithms, powers, substrings, bit strings, XML, SQL/JSON), 42
(definitions and references the code gets wrong), the transaction-state classes 25/3B/34, PL/pgSQL
(2F, P0), object state (55000) and server files (58P01)."""

from __future__ import annotations

import contextlib
from typing import Any

from tests.corpus.fam_postgres import _Conn
from tests.corpus.model import C, D, Family
from tests.corpus.servers import pg_database

SCHEMA = """
CREATE TABLE p (a int);
CREATE SEQUENCE s;
CREATE FUNCTION noreturn() RETURNS int LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION strictone() RETURNS int LANGUAGE plpgsql AS $$
DECLARE x int; BEGIN SELECT a INTO STRICT x FROM p WHERE a < 0; RETURN x; END $$;
"""

#: name -> (statement, acceptable, why): each raises one SQLSTATE.
CASES: dict[str, tuple[str, Any, str]] = {
    "22011-substring": ("SELECT substring('abc' from 1 for -1)", D, "a negative substring length"),
    "2201E-logarithm": ("SELECT ln(0)", D, "the logarithm of zero"),
    "2201F-power": ("SELECT power(0, -1)", D, "zero to a negative power"),
    "22019-escape": ("SELECT 'a' LIKE 'a' ESCAPE 'xy'", {D, C}, "an escape string of two characters"),
    "22026-bit-length": ("SELECT B'101'::bit(3) & B'1'::bit(1)", D, "bit strings of different sizes"),
    "2200N-xml": ("SELECT xmlparse(document '<a>')", D, "malformed XML"),
    "2203A-json-member": ("SELECT jsonb_path_query('{}', 'strict $.a')", D, "a JSON member that is missing"),
    "42P10-order-by": (
        "SELECT DISTINCT a FROM (VALUES (1, 2)) t(a, b) ORDER BY b",
        C,
        "ORDER BY a column not in the DISTINCT list",
    ),
    "42809-not-a-sequence": ("SELECT nextval('p')", C, "nextval on a table"),
    "42P16-two-keys": ("CREATE TEMP TABLE t2 (a int PRIMARY KEY, b int PRIMARY KEY)", C, "two primary keys"),
    "42830-foreign-key": (
        "CREATE TEMP TABLE t3 (a int REFERENCES p (a))",
        C,
        "a foreign key to a non-unique column",
    ),
    "42P17-generated": (
        "CREATE TEMP TABLE t4 (a float GENERATED ALWAYS AS (random()) STORED)",
        C,
        "a generated column that is not immutable",
    ),
    "42846-cast": ("SELECT 1::int::point", C, "a cast that does not exist"),
    "42939-reserved-role": ("CREATE ROLE pg_errorguard", C, "a role name reserved for the system"),
    "42710-duplicate-role": ("CREATE ROLE postgres", {C, D}, "a role that already exists"),
    "42P04-duplicate-db": ("CREATE DATABASE postgres", {C, D}, "a database that already exists"),
    "54011-too-many-columns": (
        "CREATE TEMP TABLE wide (" + ", ".join(f"c{i} int" for i in range(1700)) + ")",
        {C, D},
        "more columns than a table can have",
    ),
    "55000-currval": ("SELECT currval('s')", C, "currval before nextval in this session: the code's order"),
    "25001-isolation": (
        "BEGIN; SELECT 1; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        C,
        "setting the isolation level after a query",
    ),
    "25P01-savepoint": ("SAVEPOINT sp", C, "a savepoint outside a transaction block"),
    "3B001-savepoint": ("BEGIN; ROLLBACK TO SAVEPOINT nope", C, "rolling back to a savepoint never made"),
    "34000-cursor": ("FETCH NEXT FROM nocursor", C, "a cursor that does not exist"),
    "2F005-no-return": ("SELECT noreturn()", C, "a PL/pgSQL function that ends without RETURN"),
    "P0002-no-data": ("SELECT strictone()", D, "SELECT INTO STRICT found no row"),
    "P0004-assert": ("DO $$ BEGIN ASSERT 1 = 2, 'totals differ'; END $$", {D, C}, "a PL/pgSQL ASSERT failed"),
    "58P01-no-file": (
        "SELECT pg_read_file('/nonexistent/errorguard.csv')",
        C,
        "a server-side file that is not there",
    ),
}


def build(family: Family, closing: list[Any]) -> None:
    dbname, server = pg_database(closing, "errorguard_codes")
    params = {**server, "dbname": dbname}
    drivers = [_Conn("psycopg", params), _Conn("asyncpg", params)]
    for conn in drivers:
        closing.append(conn.close)
    drivers[0].execute(SCHEMA)
    for index, (name, (sql, accept, why)) in enumerate(CASES.items()):
        conn = drivers[index % 2]

        def run(c: _Conn = conn, statement: str = sql) -> None:
            try:
                c.execute(statement)
            finally:
                with contextlib.suppress(Exception):
                    c.execute("ROLLBACK")

        family.add(f"{conn.driver}-{name}", run, accept, why)
