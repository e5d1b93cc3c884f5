"""
Column types shared by errorguard's tables (and imported by their alembic migrations).

MySQL/MariaDB variants keep every unique index under InnoDB's 3,072-byte key limit: Airflow id
columns are ``utf8mb3_bin`` (as in Airflow's own schema), user keys ``utf8mb4_bin`` (binary
collations, so ``"A"`` and ``"a"`` are different keys everywhere).
"""

from __future__ import annotations

from datetime import datetime, timezone
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
