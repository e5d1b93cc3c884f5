"""MySQL driver codes of real MariaDB/MySQL errors through pymysql, raw and wrapped by SQLAlchemy.

Everything runs in a throwaway database (``mysql_params``, dropped at the end of the session);
the tests skip when no server is reachable.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest
import sqlalchemy as sa

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from tests.unit.helpers import assert_verdict, closed_port

pytestmark = pytest.mark.unit

T, D, C = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION


@pytest.fixture
def cursor(mysql_params: dict[str, Any]) -> Iterator[Any]:
    conn = pymysql.connect(**mysql_params, autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS orders (id INT PRIMARY KEY, ref VARCHAR(10) NOT NULL)")
    cur.execute("DELETE FROM orders")
    cur.execute("INSERT INTO orders VALUES (1, 'A-1')")
    yield cur
    cur.execute("DROP TABLE IF EXISTS orders")
    conn.close()


def fails(cur: Any, sql: str) -> pymysql.MySQLError:
    with pytest.raises(pymysql.MySQLError) as info:
        cur.execute(sql)
    return info.value


def connect_fails(**params: Any) -> pymysql.MySQLError:
    with pytest.raises(pymysql.MySQLError) as info:
        pymysql.connect(**params)
    return info.value


def test_table_does_not_exist_1146(cursor: Any, classifier: Classifier) -> None:
    exc = fails(cursor, "SELECT * FROM missing_orders_17")
    assert exc.args[0] == 1146
    result = classifier.classify(exc)
    assert_verdict(
        result, C, "builtin:mysql:1146", reason_has=("MySQL error 1146", "doesn't exist"), min_confidence=0.95
    )
    assert result.signals["driver_code"] == "mysql:1146"
    assert (
        classifier.classify(fails(cursor, "SELECT * FROM missing_orders_2024")).fingerprint
        == result.fingerprint
    )
    # Same class (ProgrammingError), same "(<n>, <str>)" message shape: the code tells them apart.
    syntax = fails(cursor, "SELEC 1")
    assert syntax.args[0] == 1064
    assert_verdict(classifier.classify(syntax), C, "builtin:mysql:1064", reason_has=("syntax",))
    assert classifier.classify(syntax).fingerprint != result.fingerprint


def test_duplicate_entry_1062(cursor: Any, classifier: Classifier) -> None:
    exc = fails(cursor, "INSERT INTO orders VALUES (1, 'B-2')")
    assert exc.args[0] == 1062
    result = classifier.classify(exc)
    assert_verdict(result, D, "builtin:mysql:1062", reason_has=("duplicate entry",), min_confidence=0.95)
    cursor.execute("INSERT INTO orders VALUES (77, 'C-3')")
    assert (
        classifier.classify(fails(cursor, "INSERT INTO orders VALUES (77, 'D')")).fingerprint
        == result.fingerprint
    )
    null = fails(cursor, "INSERT INTO orders VALUES (5, NULL)")
    assert_verdict(classifier.classify(null), D, "builtin:mysql:1048")
    assert classifier.classify(null).fingerprint != result.fingerprint


@pytest.fixture
def mysql_user(mysql_params: dict[str, Any]) -> Iterator[str]:
    """A real account with password ``right-password`` (MariaDB answers unknown users with a
    fake authentication plugin, which makes the error code vary between 1045 and 1698)."""
    name = f"eg_{secrets.token_hex(4)}"
    admin = pymysql.connect(**mysql_params, autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE USER '{name}'@'%' IDENTIFIED BY 'right-password'")
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{name}'@'%'")
        admin.close()


def test_access_denied_1045(mysql_params: dict[str, Any], mysql_user: str, classifier: Classifier) -> None:
    params = {**mysql_params, "user": mysql_user, "password": "wrong-password-1"}
    exc = connect_fails(**params)
    assert exc.args[0] == 1045, exc.args
    result = classifier.classify(exc)
    assert_verdict(result, C, "builtin:mysql:1045", reason_has=("bad user or password",), min_confidence=0.95)
    again = connect_fails(**{**params, "password": "wrong-password-22"})
    assert classifier.classify(again).fingerprint == result.fingerprint


def test_cannot_connect_2003(mysql_params: dict[str, Any], classifier: Classifier) -> None:
    exc = connect_fails(**{**mysql_params, "port": closed_port()})
    assert exc.args[0] == 2003
    result = classifier.classify(exc)
    assert_verdict(result, T, "builtin:mysql:2003", reason_has=("can't connect",), min_confidence=0.9)
    # Both are pymysql OperationalError "(<n>, <str>)": only the code separates them.
    other = fails_on_missing_database(mysql_params)
    assert classifier.classify(other).fingerprint != result.fingerprint


def fails_on_missing_database(mysql_params: dict[str, Any]) -> pymysql.MySQLError:
    exc = connect_fails(**{**mysql_params, "database": "errorguard_missing_db"})
    assert exc.args[0] == 1049
    return exc


def test_unknown_database_1049(mysql_params: dict[str, Any], classifier: Classifier) -> None:
    result = classifier.classify(fails_on_missing_database(mysql_params))
    assert_verdict(result, C, "builtin:mysql:1049", reason_has=("unknown database",))


def test_sqlalchemy_wraps_pymysql(mysql_params: dict[str, Any], classifier: Classifier) -> None:
    url = sa.engine.URL.create(
        "mysql+pymysql",
        username=mysql_params["user"],
        password=mysql_params["password"] or None,
        host=mysql_params["host"],
        port=mysql_params["port"],
        database=mysql_params["database"],
    )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError) as info:
            conn.execute(sa.text("SELECT * FROM missing_table"))
    finally:
        engine.dispose()
    assert isinstance(info.value.orig, pymysql.err.ProgrammingError)
    result = classifier.classify(info.value)
    assert_verdict(
        result,
        C,
        "builtin:mysql:1146",
        reason_has=("found in the cause of ProgrammingError",),
        min_confidence=0.95,
    )
    assert result.exception_type == "pymysql.err.ProgrammingError"


def test_error_number_outranks_the_coarse_sqlstate(cursor: Any, classifier: Classifier) -> None:
    # MariaDB sends SQLSTATE 23000 ("integrity constraint") for an ambiguous column: a query error.
    exc = fails(cursor, "SELECT id FROM orders AS a, orders AS b")
    assert exc.args[0] == 1052
    assert_verdict(classifier.classify(exc), C, "builtin:mysql:1052", reason_has=("ambiguous",))


def test_unlisted_server_error_is_never_a_connection_failure(cursor: Any, classifier: Classifier) -> None:
    # 1094 (unknown thread id) is in no table and comes as a bare OperationalError with SQLSTATE
    # HY000: a statement error, not the "operational" (connection) failure its class suggests.
    exc = fails(cursor, "KILL 987654321")
    assert exc.args[0] == 1094
    assert isinstance(exc, pymysql.err.OperationalError)
    assert_verdict(classifier.classify(exc), C, "builtin:mysql:1094", reason_has=("not the link",))
