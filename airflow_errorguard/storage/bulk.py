"""
Fast idempotent bulk insert: many rows in one transaction, duplicates of a unique key skipped.

SQLAlchemy's generic ``executemany`` spends most of its time processing parameters row by row.
Here the values shared by every row (task identity, timestamps, status) are processed once and
the rest go to the driver as plain tuples. Rows arrive in chunks, sorted by their key:

- PostgreSQL, fewer than :data:`COPY_THRESHOLD` rows: **one statement**, ``INSERT ... SELECT
  <constants>, u.* FROM unnest(<one array per column>) AS u ON CONFLICT DO NOTHING``.
- PostgreSQL, larger batches (psycopg2/psycopg): ``COPY`` straight into the table, in a
  savepoint; the next chunk is encoded in a background thread while the server loads this one.
  When a row is already stored (a unique violation: a retried task, a concurrent writer) the
  savepoint is rolled back and the batch goes the careful way: per chunk, ``COPY`` into a
  session-local temporary table and ``INSERT ... SELECT ... ORDER BY <key> ON CONFLICT DO
  NOTHING``. Ids come from the table's sequence either way.
- SQLite: one prepared ``INSERT ... ON CONFLICT DO NOTHING`` run by the driver's ``executemany``.
- MySQL/MariaDB: ``INSERT IGNORE ... VALUES``; the driver packs rows into multi-row statements.

The returned count is the number of rows actually inserted, on every backend.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import datetime
from itertools import chain, repeat
from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect

from airflow_errorguard.classification.safe_read import driver_sqlstate
from airflow_errorguard.storage.prefetch import prefetch
from airflow_errorguard.storage.upsert import insert_ignoring_duplicates

Row = tuple[Any, ...]
#: PostgreSQL batches of at least this many rows are loaded with COPY (psycopg2 and psycopg).
COPY_THRESHOLD = 2000
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_SEPARATOR = "\x00"  # never inside a value: text columns and JSON payloads carry no NUL


def _processor(table: Table, column: str, dialect: Dialect) -> Any:
    return table.c[column].type.dialect_impl(dialect).bind_processor(dialect)


def _sql_type(table: Table, column: str, dialect: Dialect) -> str:
    return str(table.c[column].type.dialect_impl(dialect).compile(dialect))


def _constants_sql(table: Table, constants: Mapping[str, Any]) -> tuple[str, list[Any], dict[str, Any]]:
    """``:c_name, ...`` placeholders with typed binds for the values shared by every row."""
    placeholders = ", ".join(f":c_{name}" for name in constants)
    binds = [bindparam(f"c_{name}", type_=table.c[name].type) for name in constants]
    return placeholders, binds, {f"c_{name}": value for name, value in constants.items()}


def _escape(text: str) -> str:
    # str.replace (memchr-fast) beats str.translate, which turns slow once a value needs escaping.
    for char, escaped in _COPY_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _copy_column(values: Sequence[Any]) -> list[str]:
    """One column in COPY text format, escaped in bulk (join, replace and split run in C)."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if not isinstance(sample, str):
        return ["\\N" if v is None else str(v) for v in values]
    if None in values:
        escaped = _escape(_SEPARATOR.join("" if v is None else v for v in values))
        return ["\\N" if v is None else e for v, e in zip(values, escaped.split(_SEPARATOR), strict=True)]
    return _escape(_SEPARATOR.join(values)).split(_SEPARATOR)


def _copy_text(rows: Sequence[Row], prefix: str = "") -> str:
    """*rows* in COPY text format, each line starting with *prefix* (constant columns, escaped)."""
    columns = [_copy_column(values) for values in zip(*rows, strict=True)]
    lines = map("\t".join, zip(*columns, strict=True))
    if prefix:
        lines = map(prefix.__add__, lines)
    return "\n".join(lines) + "\n"


def _copy_constants(table: Table, constants: Mapping[str, Any], dialect: Dialect) -> str:
    """The *constants* as the leading columns of a COPY text line (bind-processed, escaped)."""
    fields = []
    for name, given in constants.items():
        proc = _processor(table, name, dialect)
        value = proc(given) if proc else given
        fields.append(_copy_column([value.isoformat() if isinstance(value, datetime) else value])[0])
    return "".join(f"{field}\t" for field in fields)


class _AlreadyStored(Exception):
    """A row of the batch is stored already: the direct COPY was rolled back."""


def _copy(cursor: Any, driver: str, sql: str, data: str) -> None:
    if driver == "psycopg2":
        cursor.copy_expert(sql, io.StringIO(data))
    else:  # psycopg 3
        with cursor.copy(sql) as copy:
            copy.write(data)


def _copy_direct(
    conn: Connection,
    table: Table,
    constants: Mapping[str, Any],
    columns: Sequence[str],
    chunks: Iterable[Sequence[Row]],
    *,
    consumed: list[Sequence[Row]],
) -> int:
    """
    COPY every row straight into *table* in a savepoint (each chunk appended to *consumed*);
    raises :class:`_AlreadyStored`, the savepoint rolled back, on a unique violation.
    """
    dialect = conn.dialect
    prefix = _copy_constants(table, constants, dialect)
    copy_sql = f"COPY {table.name} ({', '.join([*constants, *columns])}) FROM STDIN"
    inserted = 0

    def encoded() -> Iterator[tuple[int, str]]:
        for chunk in chunks:  # in the prefetch thread, which is joined before *consumed* is read
            consumed.append(chunk)
            yield len(chunk), _copy_text(chunk, prefix)

    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("SAVEPOINT errorguard_copy")
        try:
            # Encoding chunk n+1 (Python, background thread) overlaps loading chunk n (server).
            with closing(prefetch(encoded())) as texts:
                for count, data in texts:
                    _copy(cursor, dialect.driver, copy_sql, data)
                    inserted += count
        except Exception as err:
            if driver_sqlstate(err) != _UNIQUE_VIOLATION:
                raise
            cursor.execute("ROLLBACK TO SAVEPOINT errorguard_copy")
            cursor.execute("RELEASE SAVEPOINT errorguard_copy")
            raise _AlreadyStored from err
        cursor.execute("RELEASE SAVEPOINT errorguard_copy")
    finally:
        cursor.close()
    return inserted


_UNIQUE_VIOLATION = "23505"


def _copy_chunks(
    conn: Connection,
    table: Table,
    constants: Mapping[str, Any],
    columns: Sequence[str],
    chunks: Iterable[Sequence[Row]],
) -> int:
    dialect = conn.dialect
    staging = f"{table.name}_load"
    definitions = ", ".join(f"{name} {_sql_type(table, name, dialect)}" for name in columns)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({definitions}) ON COMMIT DELETE ROWS"
    )
    copy_sql = f"COPY {staging} ({', '.join(columns)}) FROM STDIN"
    placeholders, binds, params = _constants_sql(table, constants)
    insert_sql = text(
        f"INSERT INTO {table.name} ({', '.join([*constants, *columns])}) "
        f"SELECT {placeholders}, {', '.join(columns)} FROM {staging} ORDER BY {columns[0]} "
        "ON CONFLICT DO NOTHING"
    ).bindparams(*binds)
    inserted = 0
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        # Encoding chunk n+1 (Python, background thread) overlaps inserting chunk n (server).
        with closing(prefetch(_copy_text(chunk) for chunk in chunks)) as texts:
            for data in texts:
                _copy(cursor, dialect.driver, copy_sql, data)
                inserted += max(conn.execute(insert_sql, params).rowcount, 0)
                conn.exec_driver_sql(f"TRUNCATE {staging}")
    finally:
        cursor.close()
    return inserted


def _unnest(
    conn: Connection, table: Table, constants: Mapping[str, Any], columns: Sequence[str], rows: Sequence[Row]
) -> int:
    dialect = conn.dialect
    placeholders, binds, params = _constants_sql(table, constants)
    arrays = ", ".join(
        f"CAST(:a{i} AS {_sql_type(table, name, dialect)}[])" for i, name in enumerate(columns)
    )
    for i, (name, values) in enumerate(zip(columns, zip(*rows, strict=True), strict=True)):
        binds.append(bindparam(f"a{i}", type_=ARRAY(table.c[name].type)))
        params[f"a{i}"] = list(values)
    sql = (
        f"INSERT INTO {table.name} ({', '.join([*constants, *columns])}) "
        f"SELECT {placeholders}, u.* FROM unnest({arrays}) AS u ON CONFLICT DO NOTHING"
    )
    return max(conn.execute(text(sql).bindparams(*binds), params).rowcount, 0)


def _executemany(
    conn: Connection, table: Table, constants: Mapping[str, Any], columns: Sequence[str], rows: Sequence[Row]
) -> int:
    dialect = conn.dialect
    compiled = insert_ignoring_duplicates(table, dialect.name).compile(
        dialect=dialect, column_keys=[*constants, *columns]
    )
    by_name: dict[str, Iterable[Any]] = {}
    for name, value in constants.items():
        proc = _processor(table, name, dialect)
        by_name[name] = repeat(proc(value) if proc else value)
    for name, values in zip(columns, zip(*rows, strict=True), strict=True):
        proc = _processor(table, name, dialect)
        by_name[name] = [proc(v) for v in values] if proc else values
    if compiled.positional:  # qmark/format drivers: tuples in the statement's parameter order
        order = list(compiled.positiontup or ())
        if sorted(order) != sorted(by_name):  # pragma: no cover - guards a SQLAlchemy behaviour change
            raise RuntimeError(f"unexpected positional parameters {order} for {sorted(by_name)}")
        params: list[Any] = list(zip(*(by_name[name] for name in order), strict=False))  # constants repeat
    else:  # pyformat/named drivers (pymysql): one dict per row
        names = list(by_name)
        params = [dict(zip(names, values, strict=True)) for values in zip(*by_name.values(), strict=False)]
    return max(conn.exec_driver_sql(str(compiled), params).rowcount, 0)


def bulk_insert_ignoring_duplicates(
    conn: Connection,
    table: Table,
    constants: Mapping[str, Any],
    columns: Sequence[str],
    chunks: Iterable[Sequence[Row]],
    *,
    total: int,
) -> int:
    """
    Insert rows (tuples of *columns* values, arriving in *chunks*, *total* in all) with
    *constants* in every row, skipping rows that violate a unique constraint. Returns how many
    rows were inserted. Rows must be sorted by ``columns[0]``, their key: one lock order for
    concurrent writers, so overlapping batches wait for each other instead of deadlocking.
    """
    if total <= 0:
        return 0
    dialect = conn.dialect
    if dialect.name == "postgresql" and total >= COPY_THRESHOLD and dialect.driver in ("psycopg2", "psycopg"):
        chunks = iter(chunks)
        consumed: list[Sequence[Row]] = []
        try:
            return _copy_direct(conn, table, constants, columns, chunks, consumed=consumed)
        except _AlreadyStored:  # the careful way, from the first row again
            return _copy_chunks(conn, table, constants, columns, chain(consumed, chunks))
    rows = list(chain.from_iterable(chunks))
    if dialect.name == "postgresql":
        return _unnest(conn, table, constants, columns, rows)
    return _executemany(conn, table, constants, columns, rows)
