"""SQLSTATEs and messages of real PostgreSQL errors through psycopg2, psycopg 3 and SQLAlchemy.

Everything runs in a throwaway database (``pg_url``, dropped at the end of the session).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg2
import psycopg2.errors
import pytest
import sqlalchemy as sa

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from tests.unit.helpers import assert_verdict, closed_port

pytestmark = [pytest.mark.unit, pytest.mark.postgres]

T, D, C = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION


def _with(url: str, **parts: Any) -> str:
    return sa.engine.make_url(url).set(**parts).render_as_string(hide_password=False)


class Session:
    """An autocommit connection of one driver with an ``orders`` temp table holding id 1."""

    def __init__(self, driver: str, url: str) -> None:
        if driver == "psycopg2":
            conn2 = psycopg2.connect(url, connect_timeout=5)
            conn2.autocommit = True
            self.execute: Callable[[str], object] = conn2.cursor().execute
            self.close = conn2.close
            self.error: type[BaseException] = psycopg2.Error
        else:
            conn3 = psycopg.connect(url, autocommit=True, connect_timeout=5)
            self.execute, self.close, self.error = conn3.execute, conn3.close, psycopg.Error
        self.execute("CREATE TEMP TABLE orders (id int PRIMARY KEY, qty int NOT NULL)")
        self.execute("INSERT INTO orders VALUES (1, 1)")

    def fails(self, sql: str) -> BaseException:
        """The error the driver raises for *sql*."""
        with pytest.raises(self.error) as info:
            self.execute(sql)
        return info.value


@pytest.fixture(params=["psycopg2", "psycopg"])
def session(request: pytest.FixtureRequest, pg_url: str) -> Iterator[Session]:
    opened = Session(request.param, pg_url)
    yield opened
    opened.close()


@dataclass(frozen=True)
class Failure:
    sql: str
    same_failure_other_values: str
    different_failure: str
    state: str
    category: ErrorCategory
    phrase: str
    confidence: float = 0.95


FAILURES = {
    "42P01-undefined-table": Failure(
        "SELECT * FROM missing_orders_17",
        "SELECT * FROM missing_orders_20240101",
        "SELECT nope FROM orders",
        "42P01",
        C,
        "undefined table",
    ),
    "23505-unique-violation": Failure(
        "INSERT INTO orders VALUES (1, 5)",
        "INSERT INTO orders VALUES (1, 99999)",
        "INSERT INTO orders VALUES (2, NULL)",
        "23505",
        D,
        "unique violation",
    ),
    "22P02-invalid-text": Failure(
        "SELECT 'abc'::int",
        "SELECT 'not-a-number-123'::int",
        "SELECT 1/0",
        "22P02",
        D,
        "invalid text representation",
    ),
    "22023-invalid-parameter-value": Failure(
        "SET statement_timeout = 'soon'",
        "SET statement_timeout = 'later'",
        "SELECT 1/0",
        "22023",
        C,
        "invalid parameter value",
        0.9,
    ),
    "2BP01-dependent-objects": Failure(
        "DROP TYPE int4range",
        "DROP TYPE int8range",
        "SELECT 1/0",
        "2BP01",
        C,
        "dependent objects",
        0.9,
    ),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_sqlstate(session: Session, failure: Failure, classifier: Classifier) -> None:
    result = classifier.classify(session.fails(failure.sql))
    assert_verdict(
        result,
        failure.category,
        f"builtin:sqlstate:{failure.state}",
        reason_has=(f"SQLSTATE {failure.state}", failure.phrase),
        min_confidence=failure.confidence,
    )
    assert result.signals["sqlstate"] == failure.state
    assert (
        classifier.classify(session.fails(failure.same_failure_other_values)).fingerprint
        == result.fingerprint
    )
    assert classifier.classify(session.fails(failure.different_failure)).fingerprint != result.fingerprint


def test_statement_timeout_57014(session: Session, classifier: Classifier) -> None:
    session.execute("SET statement_timeout = 1")
    first = session.fails("SELECT pg_sleep(1)")
    second = session.fails("SELECT pg_sleep(2), 42")
    session.execute("RESET statement_timeout")
    result = classifier.classify(first)
    assert_verdict(result, T, "builtin:sqlstate:57014", reason_has=("SQLSTATE 57014", "statement timeout"))
    assert classifier.classify(second).fingerprint == result.fingerprint


def test_lock_not_available_55P03(pg_url: str, classifier: Classifier) -> None:
    holder = psycopg2.connect(pg_url, connect_timeout=5)
    waiter = psycopg2.connect(pg_url, connect_timeout=5)
    try:
        with holder.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS lock_probe (id int)")
            holder.commit()
            cur.execute("LOCK TABLE lock_probe IN ACCESS EXCLUSIVE MODE")
        with waiter.cursor() as cur:
            cur.execute("SET lock_timeout = '50ms'")
            with pytest.raises(psycopg2.errors.LockNotAvailable) as info:
                cur.execute("SELECT * FROM lock_probe")
        waiter.rollback()
        holder.rollback()
    finally:
        with holder.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS lock_probe")
        holder.commit()
        holder.close()
        waiter.close()
    result = classifier.classify(info.value)
    assert_verdict(
        result, T, "builtin:sqlstate:55P03", reason_has=("lock not available",), min_confidence=0.9
    )
    assert result.action.value == "retry"


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_connect_to_a_missing_database(driver: str, pg_url: str, classifier: Classifier) -> None:
    """Connection errors carry no SQLSTATE: the message says what happened."""
    connect = psycopg2.connect if driver == "psycopg2" else psycopg.connect
    errors = []
    for name in ("errorguard_missing_db_1", "errorguard_missing_db_20"):
        with pytest.raises((psycopg2.OperationalError, psycopg.OperationalError)) as info:
            connect(_with(pg_url, database=name), connect_timeout=5)
        errors.append(info.value)
    result = classifier.classify(errors[0])
    assert_verdict(result, C, "builtin:message:", reason_has=("OperationalError message", "does not exist"))
    assert "sqlstate" not in result.signals
    assert classifier.classify(errors[1]).fingerprint == result.fingerprint


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_connection_refused(driver: str, pg_url: str, classifier: Classifier) -> None:
    connect = psycopg2.connect if driver == "psycopg2" else psycopg.connect
    with pytest.raises((psycopg2.OperationalError, psycopg.OperationalError)) as info:
        connect(_with(pg_url, port=closed_port()), connect_timeout=5)
    result = classifier.classify(info.value)
    assert_verdict(result, T, "builtin:message:", reason_has=("connection failed", "connection refused"))


def test_sqlalchemy_operational_error_keeps_orig(pg_url: str, classifier: Classifier) -> None:
    url = sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg2", database="errorguard_missing_db")
    engine = sa.create_engine(url)
    try:
        with pytest.raises(sa.exc.OperationalError) as info:
            engine.connect()
    finally:
        engine.dispose()
    assert isinstance(info.value.orig, psycopg2.OperationalError)
    result = classifier.classify(info.value)
    assert_verdict(result, C, "builtin:message:", reason_has=("does not exist",))


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_sqlalchemy_programming_error_is_decided_by_orig_sqlstate(
    driver: str, pg_url: str, classifier: Classifier
) -> None:
    engine = sa.create_engine(sa.engine.make_url(pg_url).set(drivername=f"postgresql+{driver}"))
    try:
        with engine.connect() as conn:
            with pytest.raises(sa.exc.ProgrammingError) as missing:
                conn.execute(sa.text("SELECT * FROM missing_table_42"))
            conn.rollback()
            with pytest.raises(sa.exc.DataError) as bad_value:
                conn.execute(sa.text("SELECT CAST(:v AS int)"), {"v": "12x"})
    finally:
        engine.dispose()
    result = classifier.classify(missing.value)
    assert_verdict(
        result,
        C,
        "builtin:sqlstate:42P01",
        reason_has=("undefined table", "found in the cause of ProgrammingError"),
    )
    assert result.exception_type.endswith("errors.UndefinedTable")
    assert_verdict(classifier.classify(bad_value.value), D, "builtin:sqlstate:22P02")
