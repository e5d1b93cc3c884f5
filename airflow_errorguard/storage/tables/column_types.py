"""
Column types shared by errorguard's tables (and imported by their alembic migrations).

MySQL/MariaDB variants keep every unique index under InnoDB's 3,072-byte key limit: Airflow id
columns are ``utf8mb3_bin`` (as in Airflow's own schema), user keys ``utf8mb4_bin`` (binary
collations, so ``"A"`` and ``"a"`` are different keys everywhere).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

#: Length of dag_id / task_id / run_id columns (Airflow's ``ID_LEN``).
ID_LEN = 250
#: Length of user keys (quarantine ``record_key``, checkpoint ``name``); longer keys are hashed.
KEY_LEN = 200
_MYSQL = ("mysql", "mariadb")


def id_string() -> TypeEngine[str]:
    """An Airflow id (dag_id, task_id, run_id)."""
    return String(ID_LEN).with_variant(
        mysql.VARCHAR(ID_LEN, charset="utf8mb3", collation="utf8mb3_bin"), *_MYSQL
    )


def key_string() -> TypeEngine[str]:
    """A user-supplied key, compared byte for byte."""
    return String(KEY_LEN).with_variant(
        mysql.VARCHAR(KEY_LEN, charset="utf8mb4", collation="utf8mb4_bin"), *_MYSQL
    )


def long_text() -> TypeEngine[str]:
    """JSON documents and tracebacks (MEDIUMTEXT on MySQL, whose TEXT stops at 64 KiB)."""
    return Text().with_variant(mysql.MEDIUMTEXT(), *_MYSQL)


def big_id() -> TypeEngine[int]:
    """Auto-increment primary key: BIGINT, but INTEGER on SQLite (the only rowid alias there)."""
    return BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """
    Timezone-aware UTC timestamp on every backend.

    Stored as ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and as naive UTC elsewhere (microsecond
    precision on MySQL); always read back as an aware UTC ``datetime``. Naive values are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"errorguard timestamps must be timezone-aware, got naive {value!r}")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


#: The epoch of :class:`UtcMicros` on SQLite.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
#: Set while a migration older than ``b81c4e6f2d95`` reads the quarantine (its timestamps still text).
_legacy_text: ContextVar[bool] = ContextVar("errorguard_legacy_text_timestamps", default=False)


@contextmanager
def legacy_text_timestamps() -> Iterator[None]:
    """Within: :class:`UtcMicros` binds SQLite values as text (for migrations before its own)."""
    token = _legacy_text.set(True)
    try:
        yield
    finally:
        _legacy_text.reset(token)


class UtcMicros(UtcDateTime):
    """
    :class:`UtcDateTime` that SQLite stores as an ``INTEGER`` of microseconds since 1970-01-01 UTC
    (8 bytes, where ISO text takes 26): the timestamps of the quarantine, the largest table. Other
    backends store it as :class:`UtcDateTime` does. Integers sort and compare as the times do, so
    range filters and orders keep using the index; values still read back as aware UTC ``datetime``.
    """

    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        stored = super().process_bind_param(value, dialect)
        if stored is None or dialect.name != "sqlite":
            return stored
        if _legacy_text.get():
            return stored.isoformat(" ", "microseconds")
        return (stored.replace(tzinfo=timezone.utc) - EPOCH) // _MICROSECOND

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if isinstance(value, int):
            return EPOCH + value * _MICROSECOND
        if isinstance(value, str):  # a row not migrated yet (read by an earlier migration)
            value = datetime.fromisoformat(value)
        return super().process_result_value(value, dialect)
