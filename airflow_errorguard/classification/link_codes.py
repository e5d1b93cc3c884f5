"""
Driver and cloud error codes of one exception, as :class:`.signals.LinkFacts` reads them: protocol
families' codes, Oracle codes, SQLite result names, MySQL server error numbers, botocore, gRPC and
Airflow error codes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_errorguard.classification.class_plan import ClassPlan
from airflow_errorguard.classification.safe_read import dict_get, safe_getattr
from airflow_errorguard.classification.service_codes import service_code
from airflow_errorguard.classification.signals_protocols import oracle_code, protocol_code


def driver_code(
    plan: ClassPlan, exc: BaseException, get: Callable[[str], Any], message: Callable[[], str]
) -> str | None:
    """The database driver's or protocol's own code (``sqlite:SQLITE_BUSY``, ``mysql:1213``...)."""
    if plan.family == "smtp":  # aiosmtplib keeps the reply in ``code``, which is read lazily

        def get_or_read(name: str) -> Any:
            value = get(name)
            return safe_getattr(exc, name) if value is None else value

        return protocol_code(plan.family, get_or_read, message)
    if plan.family == "oracle":
        return oracle_code(safe_getattr(exc, "args"), message)
    if plan.family is not None:
        return protocol_code(plan.family, get, message)
    name = get("sqlite_errorname")
    if isinstance(name, str) and name:
        return f"sqlite:{name}"
    if plan.is_mysql:
        args = safe_getattr(exc, "args")
        if isinstance(args, tuple) and args and isinstance(args[0], int):
            return f"mysql:{args[0]}"
        number = get("errno")  # mysql.connector keeps the server's error number in errno
        if isinstance(number, int) and not isinstance(number, bool) and number >= 1000:
            return f"mysql:{number}"
    return None


def cloud_code(plan: ClassPlan, exc: BaseException, get: Callable[[str], Any], response: Any) -> str | None:
    """The service's error code (botocore ``Error.Code``, a gRPC status name, Airflow's error)."""
    if plan.family is not None:
        code = service_code(plan.family, exc, get)
        if code is not None:
            return code
    if isinstance(response, dict):  # botocore: {"Error": {"Code": ...}}
        error = dict_get(response, "Error")
        code = dict_get(error, "Code") if isinstance(error, dict) else None
        if isinstance(code, str):
            return str(code)
    grpc = get("grpc_status_code")
    if grpc is not None:
        name = safe_getattr(grpc, "name")
        if isinstance(name, str):
            return name
    error = get("error")  # airflow.sdk.exceptions.AirflowRuntimeError(ErrorResponse)
    if error is not None:
        value = safe_getattr(safe_getattr(error, "error"), "value")
        if isinstance(value, str):
            return value
    return None


__all__ = ["cloud_code", "driver_code"]
