"""
Reads of a possibly hostile exception that never raise: an attribute, its text, a dict entry.

A property or ``__str__`` that raises anything (even ``BaseException``) yields ``None`` or a
placeholder, so reading an exception cannot break classification.
"""

from __future__ import annotations

from typing import Any

#: Characters of an exception's text kept (``str(exc)`` is capped).
MAX_MESSAGE = 2000


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
    return text[:MAX_MESSAGE]


def dict_get(mapping: dict[str, Any], key: str) -> Any:
    """``mapping.get(key)`` through ``dict.get`` itself: a dict subclass's overrides may raise."""
    try:
        return dict.get(mapping, key)
    except BaseException:  # a key whose __eq__ raises
        return None


def driver_sqlstate(err: BaseException) -> str | None:
    """
    The SQLSTATE a PostgreSQL driver put on *err*: psycopg2's ``pgcode``, psycopg 3's and asyncpg's
    ``sqlstate``; ``None`` when neither holds a non-empty string (never raises).
    """
    state = safe_getattr(err, "pgcode") or safe_getattr(err, "sqlstate")
    return state if isinstance(state, str) and state else None


__all__ = ["MAX_MESSAGE", "dict_get", "driver_sqlstate", "safe_getattr", "safe_str"]
