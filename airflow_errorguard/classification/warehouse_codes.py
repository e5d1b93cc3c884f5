"""
Codes that warehouse and data-platform clients keep in their own attributes, read for
:func:`~.service_codes.service_code` and keyed for :mod:`.knowledge_warehouses`: Snowflake's error
number (``errno``), the Java exception a Hadoop ``RemoteException`` names (WebHDFS), ClickHouse's
error number the server sent (clickhouse-driver's ``ServerException.code``), and the HTTP status
databricks-sql-connector keeps in its ``context``.

Every read is guarded: a hostile exception cannot break classification.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from airflow_errorguard.classification.knowledge_warehouses import (
    CLICKHOUSE_ERROR_NAME,
    SNOWFLAKE_SESSION_EXPIRED,
)
from airflow_errorguard.classification.safe_read import dict_get, safe_getattr, safe_str

#: The HTTP status snowflake-connector-python writes into its generic request-failure text
#: (``... responded with error status: 403 Forbidden``): it keeps it nowhere else.
_SNOWFLAKE_STATUS = re.compile(r"error status: ([1-5][0-9][0-9])\b")
#: A Java class name, simple or dotted (``FileNotFoundException``, ``org.apache...StandbyException``).
_JAVA_EXCEPTION = re.compile(r"(?:[a-z][a-z0-9_]*\.)*([A-Z][A-Za-z0-9_$]{2,80}(?:Exception|Error))")


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


def snowflake_code(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """``snowflake:<errno>``; the login service's ``390xxx`` numbers as that range (but the session
    token's own expiries), and for the connector's own ``2xxxxx`` request failures the HTTP status
    they carry in their text, as ``snowflake:http-<status>``."""
    value = get("errno")
    number = _number(value if value is not None else safe_getattr(exc, "errno"))
    if number is None:
        return None
    if 390000 <= number < 391000 and number not in SNOWFLAKE_SESSION_EXPIRED:
        return "snowflake:390xxx"
    if 200000 <= number < 300000:
        found = _SNOWFLAKE_STATUS.search(safe_str(exc)[:2000])
        if found:
            return f"snowflake:http-{found.group(1)}"
    return f"snowflake:{number}"


def hadoop_code(exc: BaseException, get: Callable[[str], Any]) -> str | None:
    """``hadoop:<SimpleName>`` of the Java exception a ``RemoteException`` names (``HdfsError.exception``)."""
    name = safe_getattr(exc, "exception")
    found = _JAVA_EXCEPTION.fullmatch(name) if isinstance(name, str) else None
    return f"hadoop:{found.group(1)}" if found else None


def clickhouse_server_name(exc: BaseException) -> str | None:
    """The name of the ClickHouse error number the *server* sent (clickhouse-driver's
    ``ServerException.code``); the client's own errors number their kind, not the server's word."""
    if type(exc).__name__ != "ServerException":
        return None
    number = _number(safe_getattr(exc, "code"))
    return CLICKHOUSE_ERROR_NAME.get(number) if number is not None else None


def context_status(values: dict[str, Any]) -> Any:
    """The HTTP status databricks-sql-connector keeps in its error's ``context["http-code"]``."""
    context = dict_get(values, "context")
    return dict_get(context, "http-code") if isinstance(context, dict) else None


__all__ = ["clickhouse_server_name", "context_status", "hadoop_code", "snowflake_code"]
