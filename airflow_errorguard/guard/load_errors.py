"""
What a database said when it rejected a row: SQLSTATE, constraint, column, in one line.

Read from the driver error wherever it sits in the chain (SQLAlchemy's ``orig``, ``__cause__``):
psycopg 2/3 ``diag`` fields and ``pgcode``/``sqlstate``, SQLite's ``sqlite_errorname`` and the
object its message names, MySQL/MariaDB error numbers. Pure: imports no driver.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from airflow_errorguard.classification.safe_read import driver_sqlstate

_LIMIT = 300
# "UNIQUE constraint failed: t.id, t.x", "NOT NULL constraint failed: t.n", "CHECK constraint failed: q"
_SQLITE_FAILED = re.compile(
    r"^(UNIQUE|NOT NULL|CHECK|FOREIGN KEY|PRIMARY KEY) constraint failed(?::\s*(.+))?$"
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]


def _first_line(error: BaseException) -> str:
    try:
        text = str(error).strip()
    except Exception:
        text = ""
    return (text.splitlines()[0] if text else type(error).__name__)[:_LIMIT]


def load_error_details(error: BaseException) -> dict[str, str]:
    """``sqlstate``, ``constraint``, ``column``, ``table``, ``code`` and ``message`` (those found)."""
    found: dict[str, str] = {}
    for err in _chain(error):
        diag = getattr(err, "diag", None)
        for name, attr in (
            ("constraint", "constraint_name"),
            ("column", "column_name"),
            ("table", "table_name"),
        ):
            value = getattr(diag, attr, None)
            if value and name not in found:
                found[name] = str(value)
        state = driver_sqlstate(err)
        if state and "sqlstate" not in found:
            found["sqlstate"] = state
        sqlite_name = getattr(err, "sqlite_errorname", None)
        if isinstance(sqlite_name, str) and "code" not in found:
            found["code"] = sqlite_name
            match = _SQLITE_FAILED.match(_first_line(err))
            if match and match.group(2):
                target = "constraint" if match.group(1) == "CHECK" else "column"
                found.setdefault(target, match.group(2))
        args = getattr(err, "args", ())
        mysql = type(err).__module__.split(".")[0] in {"pymysql", "MySQLdb", "mysql"}
        if mysql and args and isinstance(args[0], int) and "code" not in found:
            found["code"] = f"MySQL {args[0]}"
        if "message" not in found and err is not error:
            found["message"] = _first_line(err)
    found.setdefault("message", _first_line(error))
    return found


def describe_load_error(error: BaseException) -> str:
    """
    One line naming what the database rejected, e.g. ``SQLSTATE 23505, constraint t_pkey,
    table t: duplicate key value violates unique constraint "t_pkey"``.
    """
    details = load_error_details(error)
    parts = [
        f"{label}{details[key]}"
        for key, label in (
            ("sqlstate", "SQLSTATE "),
            ("code", ""),
            ("constraint", "constraint "),
            ("column", "column "),
            ("table", "table "),
        )
        if key in details
    ]
    head = ", ".join(parts)
    return f"{head}: {details['message']}" if head else details["message"]
