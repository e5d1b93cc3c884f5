"""DuckDB, in process: its typed errors (catalog, binder, parser, conversion, out-of-range,
constraint, IO, transaction, out-of-memory, permission, connection) raised by real statements on
real files in a temporary directory, and a database file locked by another process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from tests.corpus.model import C, D, Family, S, T

NEEDS_TMP = True

_HOLDER = (
    "import duckdb, sys, time\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('ready', flush=True)\n"
    "sys.stdin.read()\n"
)


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    con = duckdb.connect()
    closing.append(con.close)
    con.execute("create table orders(id int primary key, sku varchar not null, qty int check (qty > 0))")
    con.execute("create table parent(id int primary key)")
    con.execute("create table child(parent_id int references parent(id))")
    (tmp / "ddb-bad.parquet").write_text("not parquet")
    (tmp / "ddb-types.csv").write_text("qty\n1\nmany\n")
    (tmp / "ddb-bad.json").write_text('{"a": 1')
    (tmp / "ddb-ragged.csv").write_text("a,b\n1,2\n3\n4,5,6,7\n")
    ro = tmp / "ddb-ro.duckdb"
    duckdb.connect(str(ro)).close()
    limited = duckdb.connect(config={"memory_limit": "2MB", "threads": 1})
    closing.append(limited.close)
    sealed = duckdb.connect(config={"enable_external_access": False})
    closing.append(sealed.close)
    closed = duckdb.connect()
    closed.close()
    sql = con.execute
    for name, run, accept, why in (
        ("catalog-table", lambda: sql("select * from shipments"), C, "the table does not exist"),
        ("binder-column", lambda: sql("select price from orders"), {C, D}, "a column the table lacks"),
        ("parser", lambda: sql("selec 1"), C, "a syntax error"),
        ("function", lambda: sql("select no_such_fn(1)"), C, "an unknown function"),
        ("type-mismatch", lambda: sql("select 1 + 'a'::varchar"), C, "no function for those argument types"),
        ("sequence", lambda: sql("select nextval('no_seq')"), C, "the sequence does not exist"),
        ("unknown-setting", lambda: sql("set no_such_setting = 1"), C, "an unknown configuration parameter"),
        ("drop-referenced", lambda: sql("drop table parent"), C, "the DDL breaks a foreign key"),
        ("commit-no-txn", lambda: sql("commit"), C, "COMMIT with no transaction: the code is wrong"),
        ("params", lambda: sql("select ?", [1, 2]), C, "more parameters than placeholders"),
        ("closed", lambda: closed.execute("select 1"), C, "the code uses a connection it closed"),
        ("conversion", lambda: sql("select 'abc'::int"), D, "a string that is not a number"),
        ("overflow", lambda: sql("select 2147483647::int + 1"), D, "integer overflow"),
        ("date-range", lambda: sql("select '2024-13-45'::date"), D, "month 13"),
        ("timestamp", lambda: sql("select 'yesterday-ish'::timestamp"), D, "not a timestamp"),
        ("divide-by-zero", lambda: sql("select 1 // 0"), D, "integer division by zero"),
        ("primary-key", lambda: sql("insert into orders values (1,'a',1),(1,'b',1)"), D, "duplicate key"),
        ("not-null", lambda: sql("insert into orders values (2,null,1)"), D, "NOT NULL violated"),
        ("check", lambda: sql("insert into orders values (3,'a',-1)"), D, "CHECK violated"),
        ("foreign-key", lambda: sql("insert into child values (99)"), D, "a foreign key to nothing"),
        (
            "csv-type",
            lambda: sql(
                f"select * from read_csv('{tmp}/ddb-types.csv', columns={{'qty':'INT'}}, header=true)"
            ),
            D,
            "a CSV value of the wrong type",
        ),
        (
            "csv-ragged",
            lambda: sql(
                f"select * from read_csv('{tmp}/ddb-ragged.csv', columns={{'a':'INT','b':'INT'}}, "
                "header=true, strict_mode=true)"
            ).fetchall(),
            D,
            "rows with differing field counts",
        ),
        (
            "parquet-bad",
            lambda: sql(f"select * from read_parquet('{tmp}/ddb-bad.parquet')"),
            D,
            "not a Parquet file",
        ),
        ("json-bad", lambda: sql(f"select * from read_json('{tmp}/ddb-bad.json')"), D, "malformed JSON"),
        (
            "no-files",
            lambda: sql(f"select * from read_csv('{tmp}/incoming/*.csv')"),
            {C, D},
            "no input file matches",
        ),
        (
            "attach-missing",
            lambda: sql(f"attach '{tmp}/nowhere/x.duckdb'"),
            C,
            "a database path in a missing directory",
        ),
        (
            "read-only",
            lambda: duckdb.connect(str(ro), read_only=True).execute("create table x(a int)"),
            C,
            "writing a read-only database",
        ),
        (
            "out-of-memory",
            lambda: limited.execute("select list(range) from range(5000000)").fetchall(),
            S,
            "past memory_limit",
        ),
        (
            "external-access",
            lambda: sealed.execute(f"select * from read_csv('{tmp}/ddb-types.csv')"),
            C,
            "external access is disabled",
        ),
    ):
        family.add(name, run, accept, why)
    _conflict(family, con)
    _file_lock(family, closing, tmp)


def _conflict(family: Family, con: Any) -> None:
    first, second = con.cursor(), con.cursor()
    con.execute("insert into orders values (10, 'x', 1)")
    first.execute("begin")
    second.execute("begin")
    first.execute("update orders set qty = 2 where id = 10")
    family.add(
        "write-conflict",
        lambda: second.execute("update orders set qty = 3 where id = 10"),
        T,
        "two transactions wrote one row: rerun",
    )
    first.execute("rollback")
    second.close()


def _file_lock(family: Family, closing: list[Any], tmp: Path) -> None:
    path = tmp / "ddb-locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    closing.append(holder.wait)
    closing.append(holder.stdin.close if holder.stdin else (lambda: None))
    assert holder.stdout is not None
    holder.stdout.readline()  # "ready": the other process holds the write lock
    family.add("file-locked", lambda: duckdb.connect(str(path)), T, "another process holds the database")
