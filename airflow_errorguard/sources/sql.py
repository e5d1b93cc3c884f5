"""
``SqlRecords``: the rows of a SQL query on any common-sql connection, as guarded records.

On a retry the source resumes after the last committed batch **in the database**: the query is
wrapped as ``SELECT * FROM (<sql>) ORDER BY <order_by>`` with an ``OFFSET`` of the committed
position, so the committed rows are never transferred again; rows stream with a server-side
cursor where the driver has one (``fetch_size`` rows at a time).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import literal_column, select, text

from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.storage.engine import READ_ONLY_OPTION

# ``col``, ``t.col``, ``col DESC``; comma-separated. Identifiers only: order_by is spliced into SQL.
_ORDER_ITEM = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?(\s+(ASC|DESC|asc|desc))?"
_ORDER_BY = re.compile(rf"^\s*{_ORDER_ITEM}(\s*,\s*{_ORDER_ITEM})*\s*$")


class SqlRecords:
    """
    Rows of *sql* on the connection *conn_id* (any connection whose hook is a common-sql
    ``DbApiHook``), each as a ``dict`` of column -> value.

    :param conn_id: The Airflow connection to read from.
    :param sql: One ``SELECT`` statement (no trailing ``;``). (templated)
    :param parameters: Bound parameters of *sql*, ``:name`` style. (templated)
    :param order_by: Columns that give the rows one stable order (e.g. ``"id"``); required when the
        task checkpoints, because resuming skips the first *position* rows of that order.
    :param fetch_size: Rows fetched per round trip.
    """

    template_fields: Sequence[str] = ("sql", "parameters")

    def __init__(
        self,
        conn_id: str,
        sql: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        order_by: str | None = None,
        fetch_size: int = 1000,
    ) -> None:
        if not conn_id or not isinstance(conn_id, str):
            raise ErrorGuardConfigError(f"SqlRecords conn_id must be a connection id, got {conn_id!r}")
        if not isinstance(sql, str) or not sql.strip():
            raise ErrorGuardConfigError(f"SqlRecords sql must be a non-empty SELECT statement, got {sql!r}")
        if order_by is not None and not _ORDER_BY.match(order_by):
            raise ErrorGuardConfigError(
                f"SqlRecords order_by must be column names with optional ASC/DESC, got {order_by!r}"
            )
        if isinstance(fetch_size, bool) or not isinstance(fetch_size, int) or fetch_size < 1:
            raise ErrorGuardConfigError(
                f"SqlRecords fetch_size must be a whole number >= 1, got {fetch_size!r}"
            )
        self.conn_id = conn_id
        self.sql = sql
        self.parameters = dict(parameters or {})
        self.order_by = order_by
        self.fetch_size = fetch_size

    def __repr__(self) -> str:
        return f"SqlRecords(conn_id={self.conn_id!r}, order_by={self.order_by!r})"

    def statement(self, position: int) -> Any:
        """The query to run from *position* (rows already committed) on."""
        sql = self.sql.strip().rstrip(";").strip()
        if self.order_by is None:
            if position:
                raise ValueError(f"{self!r}: cannot resume at row {position} without order_by")
            return text(sql)
        query: Any = (
            select(literal_column("*"))
            .select_from(text(f"({sql}) AS errorguard_source"))
            .order_by(text(self.order_by))
        )
        if position:
            query = query.offset(position)
        return query

    def open(self, position: int) -> Iterator[dict[str, Any]]:
        """Stream the rows from *position* on (in a worker: through the connection's hook)."""
        from airflow.providers.common.sql.hooks.sql import DbApiHook
        from airflow.sdk import BaseHook

        hook = BaseHook.get_connection(self.conn_id).get_hook()
        if not isinstance(hook, DbApiHook):
            raise ErrorGuardConfigError(
                f"SqlRecords: connection {self.conn_id!r} has no SQL hook ({type(hook).__name__})"
            )
        engine = hook.get_sqlalchemy_engine()
        # A plain BEGIN on errorguard's own engines (they take SQLite's write lock up front
        # otherwise); other engines ignore the option.
        options = {"stream_results": True, "yield_per": self.fetch_size, READ_ONLY_OPTION: True}
        with engine.connect() as conn:
            result = conn.execution_options(**options).execute(self.statement(position), self.parameters)
            for row in result.mappings():
                yield dict(row)
