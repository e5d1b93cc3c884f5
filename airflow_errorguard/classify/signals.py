"""
Facts read from one exception: type paths, message, HTTP status, Retry-After, SQLSTATE, errno,
driver and cloud error codes.

Every read goes through :func:`safe_getattr` / :func:`safe_str`, so a hostile exception (a
property or ``__str__`` that raises) cannot break classification. Optional libraries are never
imported: classes are recognised by their dotted path.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

_MAX_MESSAGE = 2000
_MISSING = object()


def safe_getattr(obj: Any, name: str) -> Any:
    """``getattr(obj, name, None)`` that survives properties raising anything."""
    try:
        return getattr(obj, name, None)
    except BaseException:
        return None


def safe_str(obj: Any) -> str:
    """``str(obj)`` capped in length, or a placeholder when ``__str__`` raises."""
    try:
        text = str(obj)
    except BaseException as err:
        return f"<unprintable {type(obj).__name__}: str() raised {type(err).__name__}>"
    if not isinstance(text, str):  # pragma: no cover - str() always returns str
        return "<unprintable>"
    return text[:_MAX_MESSAGE]


_PATHS_CACHE: dict[type, tuple[str, ...]] = {}
_CACHE_LIMIT = 4096


def type_paths(cls: type) -> tuple[str, ...]:
    """Dotted paths of every class in *cls*'s MRO, most specific first (``object`` left out)."""
    cached = _PATHS_CACHE.get(cls)
    if cached is not None:
        return cached
    paths = []
    for klass in cls.__mro__:
        if klass is object:
            continue
        module = getattr(klass, "__module__", "") or ""
        name = getattr(klass, "__qualname__", klass.__name__)
        paths.append(name if module == "builtins" else f"{module}.{name}")
    result = tuple(paths)
    if len(_PATHS_CACHE) < _CACHE_LIMIT:
        _PATHS_CACHE[cls] = result
    return result


def _as_status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    # http.HTTPStatus is an int; some libraries hold the status as a numeric string.
    if isinstance(value, str) and len(value) == 3 and value.isdigit():
        number = int(value)
        return number if 100 <= number <= 599 else None
    return None


def parse_retry_after(value: Any, now: Callable[[], float] = time.time) -> timedelta | None:
    """Parse a ``Retry-After`` header: delta-seconds or an HTTP-date. ``None`` when unusable."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            seconds = float(text)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
            if when is None or when.tzinfo is None:
                return None
            seconds = when.timestamp() - now()
    else:
        return None
    if math.isnan(seconds):
        return None
    if seconds < 0:  # a date in the past: retry now
        return timedelta(0)
    return timedelta(seconds=min(seconds, 86400.0 * 7))


def _header(headers: Any, name: str) -> Any:
    if headers is None:
        return None
    getter = safe_getattr(headers, "get")
    if getter is None:
        return None
    try:
        value = getter(name)
        if value is None:
            value = getter(name.lower())
    except BaseException:
        return None
    return value


class LinkFacts:
    """
    Lazily computed facts of one exception in a chain.

    Attributes are computed on first access and cached, so cheap signals (type, codes) never pay
    for expensive ones (the message).
    """

    __slots__ = (
        "_cloud_code",
        "_driver_code",
        "_errno",
        "_host",
        "_http_status",
        "_message",
        "_response",
        "_retry_after",
        "_sqlstate",
        "exc",
        "now",
        "paths",
    )

    def __init__(self, exc: BaseException, now: Callable[[], float] = time.time) -> None:
        self.exc = exc
        self.now = now
        self.paths: tuple[str, ...] = type_paths(type(exc))
        self._message: Any = _MISSING
        self._response: Any = _MISSING
        self._http_status: Any = _MISSING
        self._retry_after: Any = _MISSING
        self._sqlstate: Any = _MISSING
        self._errno: Any = _MISSING
        self._driver_code: Any = _MISSING
        self._cloud_code: Any = _MISSING
        self._host: Any = _MISSING

    @property
    def type_path(self) -> str:
        """Dotted path of the exception's own class."""
        return self.paths[0] if self.paths else "BaseException"

    @property
    def type_name(self) -> str:
        """Short class name of the exception."""
        return self.type_path.rsplit(".", 1)[-1]

    @property
    def message(self) -> str:
        """``str(exc)``, capped and never raising."""
        if self._message is _MISSING:
            self._message = safe_str(self.exc)
        return self._message

    @property
    def response(self) -> Any:
        """The HTTP response object attached to the exception (requests, httpx, ...), if any."""
        if self._response is _MISSING:
            self._response = safe_getattr(self.exc, "response")
        return self._response

    @property
    def http_status(self) -> int | None:
        """HTTP status code from ``response.status_code``, ``status_code``, ``status``, ``code``."""
        if self._http_status is _MISSING:
            status = None
            response = self.response
            if response is not None and not isinstance(response, dict):
                status = _as_status(safe_getattr(response, "status_code")) or _as_status(
                    safe_getattr(response, "status")
                )
            if status is None:
                for attr in ("status_code", "status", "code"):
                    status = _as_status(safe_getattr(self.exc, attr))
                    if status is not None:
                        break
            if status is None and isinstance(response, dict):  # botocore ClientError
                meta = response.get("ResponseMetadata")
                if isinstance(meta, dict):
                    status = _as_status(meta.get("HTTPStatusCode"))
            self._http_status = status
        return self._http_status

    @property
    def retry_after(self) -> timedelta | None:
        """Delay asked for by a ``Retry-After`` header on the response or the exception."""
        if self._retry_after is _MISSING:
            value = None
            response = self.response
            if isinstance(response, dict):  # botocore: lower-cased header dict
                meta = response.get("ResponseMetadata")
                headers = meta.get("HTTPHeaders") if isinstance(meta, dict) else None
                value = _header(headers, "retry-after")
            elif response is not None:
                value = _header(safe_getattr(response, "headers"), "Retry-After")
            if value is None:
                value = _header(safe_getattr(self.exc, "headers"), "Retry-After")
            if value is None:
                value = safe_getattr(self.exc, "retry_after")
            self._retry_after = parse_retry_after(value, self.now)
        return self._retry_after

    @property
    def sqlstate(self) -> str | None:
        """Five-character SQLSTATE from ``pgcode``, ``sqlstate`` or ``diag.sqlstate``."""
        if self._sqlstate is _MISSING:
            code = safe_getattr(self.exc, "pgcode") or safe_getattr(self.exc, "sqlstate")
            if not code:
                code = safe_getattr(safe_getattr(self.exc, "diag"), "sqlstate")
            self._sqlstate = code.upper() if isinstance(code, str) and len(code) == 5 else None
        return self._sqlstate

    @property
    def errno(self) -> int | None:
        """``errno`` of an ``OSError`` (or anything carrying an integer ``errno``)."""
        if self._errno is _MISSING:
            value = safe_getattr(self.exc, "errno")
            self._errno = value if isinstance(value, int) and not isinstance(value, bool) else None
        return self._errno

    @property
    def driver_code(self) -> str | None:
        """
        A database driver's own error code: MySQL's numeric code (``mysql:1213``) or SQLite's error
        name (``sqlite:SQLITE_BUSY``).
        """
        if self._driver_code is _MISSING:
            code = None
            name = safe_getattr(self.exc, "sqlite_errorname")
            if isinstance(name, str) and name:
                code = f"sqlite:{name}"
            elif self._is_mysql():
                args = safe_getattr(self.exc, "args")
                if isinstance(args, tuple) and args and isinstance(args[0], int):
                    code = f"mysql:{args[0]}"
            self._driver_code = code
        return self._driver_code

    def _is_mysql(self) -> bool:
        return any(p.startswith(("pymysql.", "MySQLdb.", "mysql.connector.")) for p in self.paths)

    @property
    def cloud_code(self) -> str | None:
        """
        A service error code: botocore ``Error.Code``, a Google API ``grpc_status_code`` name or
        reason, or an Airflow runtime error type such as ``CONNECTION_NOT_FOUND``.
        """
        if self._cloud_code is _MISSING:
            code = None
            response = self.response
            if isinstance(response, dict):
                error = response.get("Error")
                if isinstance(error, dict) and isinstance(error.get("Code"), str):
                    code = error["Code"]
            if code is None:
                grpc = safe_getattr(self.exc, "grpc_status_code")
                name = safe_getattr(grpc, "name")
                if isinstance(name, str):
                    code = name
            if code is None:  # airflow.sdk.exceptions.AirflowRuntimeError(ErrorResponse)
                kind = safe_getattr(safe_getattr(self.exc, "error"), "error")
                value = safe_getattr(kind, "value")
                if isinstance(value, str):
                    code = value
            self._cloud_code = code
        return self._cloud_code

    @property
    def host(self) -> str | None:
        """Host of the request that failed, when the exception knows it (for reasons)."""
        if self._host is _MISSING:
            host = None
            for holder in (self.response, safe_getattr(self.exc, "request")):
                if holder is None or isinstance(holder, dict):
                    continue
                url = safe_getattr(holder, "url")
                if url is None:
                    url = safe_getattr(safe_getattr(holder, "request_info"), "url")
                text = safe_str(url) if url is not None else ""
                if "://" in text:
                    host = text.split("://", 1)[1].split("/", 1)[0].split("@")[-1][:200]
                    break
            if host is None:
                url = safe_getattr(safe_getattr(self.exc, "request_info"), "url")
                text = safe_str(url) if url is not None else ""
                if "://" in text:
                    host = text.split("://", 1)[1].split("/", 1)[0][:200]
            self._host = host
        return self._host

    def as_dict(self) -> dict[str, Any]:
        """The signals that were found, for :attr:`Classification.signals`."""
        found: dict[str, Any] = {"exception_type": self.type_path}
        for name in ("http_status", "sqlstate", "errno", "driver_code", "cloud_code", "host"):
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        if self.retry_after is not None:
            found["retry_after_seconds"] = self.retry_after.total_seconds()
        return found


#: Attributes through which libraries attach the underlying error without ``raise ... from``.
_WRAPPED_ATTRS = ("orig", "reason", "os_error", "last_attempt", "cause", "original_exception")


def explicit_causes(exc: BaseException) -> Iterator[BaseException]:
    """Errors *exc* explicitly wraps: ``__cause__`` and library attributes (``orig``, ``reason``...)."""
    cause = safe_getattr(exc, "__cause__")
    if isinstance(cause, BaseException):
        yield cause
    for attr in _WRAPPED_ATTRS:
        value = safe_getattr(exc, attr)
        if attr == "last_attempt" and value is not None:  # tenacity.RetryError
            getter = safe_getattr(value, "exception")
            try:
                value = getter() if callable(getter) else None
            except BaseException:
                value = None
        if isinstance(value, BaseException) and value is not cause:
            yield value


def implicit_context(exc: BaseException) -> BaseException | None:
    """``__context__`` unless suppressed by ``raise ... from None``."""
    if safe_getattr(exc, "__suppress_context__"):
        return None
    context = safe_getattr(exc, "__context__")
    return context if isinstance(context, BaseException) else None


def group_members(exc: BaseException) -> tuple[BaseException, ...]:
    """Members of an ``ExceptionGroup`` (empty for anything else)."""
    is_group = any(path.endswith("BaseExceptionGroup") for path in type_paths(type(exc)))
    members = safe_getattr(exc, "exceptions") if is_group else None
    if isinstance(members, (tuple, list)):
        return tuple(m for m in members if isinstance(m, BaseException))
    return ()
