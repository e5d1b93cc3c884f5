"""
``SqlTableSink``: exactly-once delivery of guarded outputs into a table of errorguard's database.

Each batch's rows are inserted in the same transaction that stores the batch's quarantine rows
and advances the checkpoint. A crash anywhere before that commit rolls all three back, and the
retry processes the batch again: every output lands exactly once, with no key-based dedup needed.
The table must live in the database of the errorguard connection (the transaction cannot span
two databases); for any other sink the guarantee is at-least-once (see docs/guarded-processing.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, column, insert, table

from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.guard.store import TransactionalSink

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _identifier(kind: str, value: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ErrorGuardConfigError(
            f"SqlTableSink {kind} must be a plain SQL identifier (letters, digits, _), got {value!r}"
        )
    return value


class SqlTableSink(TransactionalSink):
    """
    Insert each batch's outputs (mappings: column -> value) into *table_name*, exactly once.

    :param table_name: The target table, in the errorguard connection's database.
    :param columns: The columns to insert; default: the keys of each batch's first output. Keys
        outside *columns* fail the batch (nothing is dropped silently).
    :param schema: The table's schema, if not the connection's default.
    """

    def __init__(self, table_name: str, *, columns: Sequence[str] | None = None, schema: str | None = None):
        self.table_name = _identifier("table_name", table_name)
        self.schema = None if schema is None else _identifier("schema", schema)
        self.columns = None if columns is None else tuple(_identifier("column", c) for c in columns)
        if self.columns is not None and not self.columns:
            raise ErrorGuardConfigError("SqlTableSink columns must not be empty")
        self._inserts: dict[tuple[str, ...], Insert] = {}

    def __repr__(self) -> str:
        where = f"{self.schema}.{self.table_name}" if self.schema else self.table_name
        return f"SqlTableSink({where!r})"

    def write(self, connection: Any, outputs: list[Any]) -> None:
        first = outputs[0]
        if not isinstance(first, Mapping):
            raise TypeError(
                f"{self!r}: outputs must be mappings of column -> value, got {type(first).__name__}"
            )
        names = self.columns or tuple(_identifier("column", str(k)) for k in first)
        allowed = set(names)
        for n, row in enumerate(outputs):
            if not isinstance(row, Mapping) or not set(row) <= allowed:
                extra = sorted(set(row) - allowed) if isinstance(row, Mapping) else type(row).__name__
                raise ValueError(f"{self!r}: output {n} does not fit the columns {list(names)}: {extra}")
        connection.execute(self._insert(names), [{name: row.get(name) for name in names} for row in outputs])

    def _insert(self, names: tuple[str, ...]) -> Insert:
        """The INSERT of *names*, built once per column set (bisection writes many chunks)."""
        statement = self._inserts.get(names)
        if statement is None:
            target = table(self.table_name, *(column(name) for name in names), schema=self.schema)
            statement = self._inserts[names] = insert(target)
        return statement
