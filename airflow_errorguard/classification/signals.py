"""
Facts read from one exception: type paths, message, HTTP status, Retry-After, SQLSTATE, errno,
driver and cloud error codes, for a few parse and validation errors the settings loader that
raised them (:mod:`.raised_in`), and for a few generic classes the settings-reading call site of a
client library that raised them (:mod:`.call_site`).

Every read goes through :func:`.safe_read.safe_getattr` / :func:`.safe_read.safe_str`, so a hostile
exception (a property or ``__str__`` that raises) cannot break classification. Optional libraries
are never imported: classes are recognised by their dotted path. The HTTP reads live in
:mod:`.http_facts`, the driver and cloud codes in :mod:`.link_codes`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from airflow_errorguard.classification.call_site import call_site
from airflow_errorguard.classification.class_plan import (
    _PLANS,
    CAUSE,
    CLOUD_ATTRS,
    CONTEXT,
    EAGER_ATTRS,
    MEMBER,
    NOT_HTTP,
    NOT_OS_ERRNO,
    SIGNAL_SET,
    STATUS_ATTRS,
    STATUS_ORDER,
    WRAPPED_ATTRS,
    ClassPlan,
    class_plan,
    type_paths,
)
from airflow_errorguard.classification.http_facts import (
    as_status,
    host_of,
    parse_retry_after,
    retry_after_value,
)
from airflow_errorguard.classification.link_children import wrapped_errors
from airflow_errorguard.classification.link_codes import cloud_code, driver_code
from airflow_errorguard.classification.raised_in import raised_in
from airflow_errorguard.classification.safe_read import dict_get, safe_getattr, safe_str
from airflow_errorguard.classification.signals_protocols import sqlstate_of_args
from airflow_errorguard.classification.warehouse_codes import context_status

_MISSING = object()


class LinkFacts:
    """
    Facts of one exception in a chain.

    Codes (HTTP status, SQLSTATE, errno, driver and cloud codes) and the wrapped errors are read
    once, at construction, following the class plan; the message, host and ``Retry-After`` are read
    on first use.
    """

    __slots__ = (
        "_host",
        "_message",
        "_retry_after",
        "call_site",
        "children",
        "cloud_code",
        "connection_invalidated",
        "driver_code",
        "errno",
        "exc",
        "http_status",
        "now",
        "own",
        "paths",
        "plan",
        "raised_in",
        "response",
        "signals",
        "sqlstate",
        "values",
    )

    exc: BaseException
    now: Callable[[], float]
    plan: ClassPlan
    paths: tuple[str, ...]
    values: dict[str, Any]
    signals: dict[str, Any]
    response: Any
    http_status: int | None
    sqlstate: str | None
    errno: int | None
    driver_code: str | None
    cloud_code: str | None
    connection_invalidated: bool
    raised_in: str | None
    call_site: str | None
    own: tuple[tuple[str, Any], ...]
    children: list[tuple[BaseException, str]]

    def __init__(self, exc: BaseException, now: Callable[[], float] = time.time) -> None:
        plan = _PLANS.get(type(exc)) or class_plan(type(exc))
        self.exc = exc
        self.now = now
        self.plan = plan
        self.paths = plan.paths
        self._message: Any = _MISSING
        self._retry_after: Any = _MISSING
        self._host: Any = _MISSING
        # Who raised it, for the few classes whose meaning depends on it (a settings loader).
        self.raised_in = raised_in(exc) if plan.loader_sensitive else None
        # Where it was raised, for the generic classes a settings-reading call site makes configuration.
        self.call_site = call_site(exc) if plan.call_site_sensitive else None
        self.own = tuple((name, safe_getattr(exc, name)) for name in plan.own_attrs) if plan.own_attrs else ()
        try:
            own = exc.__dict__
        except BaseException:
            own = None
        values: dict[str, Any] = own if isinstance(own, dict) else {}
        self.values = values
        try:  # safe_getattr(exc, "args"), inlined: read once, for the SQLSTATE and the children
            args = exc.args
        except BaseException:
            args = None
        if plan.plain and (not values or values.keys().isdisjoint(SIGNAL_SET)):
            # The common lone exception (KeyError, ValueError...): no signal to read anywhere.
            self.signals = {}
            self.response = None
            self.http_status = self.errno = self.driver_code = self.cloud_code = None
            self.sqlstate = sqlstate_of_args(args)
            self.connection_invalidated = False
            self.children = wrapped_errors(exc, plan, self.signals, args)
        else:
            self._read_signals(exc, plan, values, args)

    def _read_signals(self, exc: BaseException, plan: ClassPlan, values: dict[str, Any], args: Any) -> None:
        """Read the codes and wrapped errors, skipping what the class plan and *values* rule out."""
        # The signal attributes in the instance dict, then the class-defined ones (descriptors,
        # class constants) through the attribute protocol, safely.
        signals = {}  # an instance dict holds a few names: a loop, no set or comprehension built
        for name, value in values.items():
            if name in EAGER_ATTRS:
                signals[name] = value
        for name in plan.eager_class_defined:  # safe_getattr(), inlined
            try:
                signals[name] = getattr(exc, name, None)
            except BaseException:
                signals[name] = None
        self.signals = signals
        get = signals.get  # eager attributes: signals holds every one the exception has
        response = get("response")
        self.response = response
        # HTTP status: response.status_code / response.status, then the exception's own attributes.
        status = None
        if response is not None and not isinstance(response, dict):
            status = as_status(safe_getattr(response, "status_code")) or as_status(
                safe_getattr(response, "status")
            )
        if status is None and (plan.status_defined or not values.keys().isdisjoint(STATUS_ATTRS)):
            read = self.get if plan.class_status_received else values.get  # instance values only
            for name in STATUS_ORDER:
                status = as_status(read(name))
                if status is not None:
                    break
        if status is None and plan.family == "databricks":  # databricks-sql-connector's context
            status = as_status(context_status(values))
        if status is None and isinstance(response, dict):  # botocore ClientError
            meta = dict_get(response, "ResponseMetadata")
            if isinstance(meta, dict):
                status = as_status(dict_get(meta, "HTTPStatusCode"))
        if plan.family in NOT_HTTP:  # AMQP reply codes, SMTP replies are not HTTP statuses
            status = None
        self.http_status = status
        # SQLSTATE: psycopg2 pgcode, psycopg sqlstate / diag.sqlstate.
        code = (get("pgcode") or get("sqlstate")) if signals else None
        if not code and ("diag" in values or "diag" in plan.class_defined):
            code = safe_getattr(self.get("diag"), "sqlstate")
        self.sqlstate = code.upper() if isinstance(code, str) and len(code) == 5 else sqlstate_of_args(args)
        number = get("errno")
        if number is None or isinstance(number, bool) or not isinstance(number, int) or plan.is_ssl:
            number = None  # an SSLError's errno is OpenSSL's error kind, not the operating system's
        elif plan.family in NOT_OS_ERRNO:
            number = None  # kafka-python/aiokafka: the broker's protocol code, read as a service code
        elif plan.is_mysql and number >= 1000:
            number = None  # mysql.connector: a server error number, read as a driver code
        self.errno = number
        self.driver_code = (
            driver_code(plan, exc, get, lambda: self.message)
            if plan.family is not None or plan.is_mysql or "sqlite_errorname" in signals
            else None
        )
        self.cloud_code = (
            cloud_code(plan, exc, get, response)
            if plan.family is not None or not CLOUD_ATTRS.isdisjoint(signals) or isinstance(response, dict)
            else None
        )
        self.connection_invalidated = get("connection_invalidated") is True
        self.children = wrapped_errors(exc, plan, signals, args)

    def get(self, name: str) -> Any:
        """Attribute *name* of the exception or ``None``: a dict lookup unless its class defines it."""
        if name in self.signals:
            return self.signals[name]
        if name in self.plan.class_defined:
            return safe_getattr(self.exc, name)
        return self.values.get(name)

    # -- lazily read facts ----------------------------------------------------------------

    @property
    def type_path(self) -> str:
        """Dotted path of the exception's own class."""
        return self.plan.type_path

    @property
    def type_name(self) -> str:
        """Short class name of the exception."""
        return self.plan.type_name

    @property
    def message(self) -> str:
        """``str(exc)``, capped and never raising."""
        if self._message is _MISSING:
            self._message = safe_str(self.exc)
        return self._message

    @property
    def retry_after(self) -> timedelta | None:
        """Delay asked for by a ``Retry-After`` header on the response or the exception."""
        if self._retry_after is _MISSING:
            response = self.response
            if response is None and "headers" not in self.signals and "retry_after" not in self.signals:
                self._retry_after = None  # nowhere a Retry-After could come from
                return None
            value = retry_after_value(response, self.get)
            self._retry_after = parse_retry_after(value, self.now)
        return self._retry_after

    @property
    def host(self) -> str | None:
        """Host of the request that failed, when the exception knows it (for reasons)."""
        if self._host is _MISSING:
            self._host = host_of(self.response, self.get)
        return self._host

    def as_dict(self) -> dict[str, Any]:
        """The signals that were found, for :attr:`Classification.signals`."""
        found: dict[str, Any] = {"exception_type": self.plan.type_path}
        status = self.http_status
        if status is not None:
            found["http_status"] = status
        if self.sqlstate is not None:
            found["sqlstate"] = self.sqlstate
        if self.errno is not None:
            found["errno"] = self.errno
        if self.driver_code is not None:
            found["driver_code"] = self.driver_code
        if self.cloud_code is not None:
            found["cloud_code"] = self.cloud_code
        if self.raised_in is not None:
            found["raised_in"] = self.raised_in
        if self.call_site is not None:
            found["call_site"] = self.call_site
        if status is not None and self.host is not None:
            found["host"] = self.host
        retry_after = self.retry_after
        if retry_after is not None:
            found["retry_after_seconds"] = retry_after.total_seconds()
        return found


__all__ = [
    "CAUSE",
    "CONTEXT",
    "MEMBER",
    "WRAPPED_ATTRS",
    "ClassPlan",
    "LinkFacts",
    "class_plan",
    "parse_retry_after",
    "safe_getattr",
    "safe_str",
    "type_paths",
]
