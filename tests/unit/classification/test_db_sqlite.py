"""Driver codes and messages of real SQLite errors, raw and wrapped by SQLAlchemy."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from tests.unit.helpers import assert_verdict

pytestmark = pytest.mark.unit

T, D, C = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(tmp_path / "orders.db", timeout=0, isolation_level=None)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, ref TEXT UNIQUE, amount REAL NOT NULL)")
    conn.execute("INSERT INTO orders VALUES (1, 'A-1', 10.0)")
    yield conn
    conn.close()


def fails(conn: sqlite3.Connection, sql: str, *params: object) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as info:
        conn.execute(sql, params)
    return info.value


def test_no_such_table(db: sqlite3.Connection, classifier: Classifier) -> None:
    exc = fails(db, "SELECT * FROM missing_orders_17")
    assert isinstance(exc, sqlite3.OperationalError)
    assert exc.sqlite_errorname == "SQLITE_ERROR"  # generic: the message has to decide
    result = classifier.classify(exc)
    assert_verdict(result, C, "builtin:message:", reason_has=("does not exist", "no such table"))
    assert result.signals["driver_code"] == "sqlite:SQLITE_ERROR"
    assert (
        classifier.classify(fails(db, "SELECT * FROM missing_orders_9000")).fingerprint == result.fingerprint
    )
    assert classifier.classify(fails(db, "SELECT nope FROM orders")).fingerprint != result.fingerprint


def test_unique_constraint(db: sqlite3.Connection, classifier: Classifier) -> None:
    exc = fails(db, "INSERT INTO orders VALUES (?, 'A-1', 5.0)", 2)
    assert isinstance(exc, sqlite3.IntegrityError)
    result = classifier.classify(exc)
    assert_verdict(
        result,
        D,
        "builtin:sqlite:SQLITE_CONSTRAINT_UNIQUE",
        reason_has=("SQLITE_CONSTRAINT_UNIQUE", "constraint violation"),
        min_confidence=0.9,
    )
    assert result.signals["driver_code"] == "sqlite:SQLITE_CONSTRAINT_UNIQUE"
    again = fails(db, "INSERT INTO orders VALUES (?, 'A-1', 7.0)", 3)
    assert classifier.classify(again).fingerprint == result.fingerprint
    not_null = classifier.classify(fails(db, "INSERT INTO orders VALUES (4, 'B-4', NULL)"))
    assert_verdict(not_null, D, "builtin:sqlite:SQLITE_CONSTRAINT_NOTNULL")
    assert not_null.fingerprint != result.fingerprint


def test_database_is_locked(tmp_path: Path, classifier: Classifier) -> None:
    path = tmp_path / "locked.db"
    writer = sqlite3.connect(path, timeout=0, isolation_level=None)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        writer.execute("CREATE TABLE t (x INTEGER)")
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("INSERT INTO t VALUES (1)")
        exc = fails(other, "INSERT INTO t VALUES (2)")
        writer.execute("ROLLBACK")
    finally:
        writer.close()
        other.close()
    assert isinstance(exc, sqlite3.OperationalError)
    assert str(exc) == "database is locked"
    result = classifier.classify(exc)
    assert_verdict(
        result, T, "builtin:sqlite:SQLITE_BUSY", reason_has=("SQLITE_BUSY", "busy"), min_confidence=0.95
    )


def test_read_only_database(tmp_path: Path, classifier: Classifier) -> None:
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        exc = fails(conn, "INSERT INTO t VALUES (1)")
    finally:
        conn.close()
    assert_verdict(classifier.classify(exc), C, "builtin:sqlite:SQLITE_READONLY", reason_has=("read-only",))


def test_sqlalchemy_wraps_sqlite_errors(tmp_path: Path, classifier: Classifier) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'sa.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:
            with pytest.raises(sa.exc.OperationalError) as missing:
                conn.execute(sa.text("SELECT * FROM nope"))
            with pytest.raises(sa.exc.IntegrityError) as duplicate:
                conn.execute(sa.text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
    assert isinstance(missing.value.orig, sqlite3.OperationalError)
    assert_verdict(classifier.classify(missing.value), C, "builtin:message:", reason_has=("no such table",))
    result = classifier.classify(duplicate.value)
    # The wrapped driver error's code outranks SQLAlchemy's IntegrityError class.
    assert_verdict(
        result,
        D,
        "builtin:sqlite:SQLITE_CONSTRAINT_PRIMARYKEY",
        reason_has=("found in the cause of IntegrityError",),
    )
    assert result.exception_type == "sqlite3.IntegrityError"
