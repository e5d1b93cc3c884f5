"""driver_sqlstate: the one read of a PostgreSQL driver's SQLSTATE outside the classifier's hot path."""

from __future__ import annotations

import pytest

from airflow_errorguard.classification.safe_read import driver_sqlstate

pytestmark = pytest.mark.unit


class Psycopg2Like(Exception):
    pgcode = "23505"


class PsycopgLike(Exception):
    sqlstate = "40001"


class Hostile(Exception):
    @property
    def pgcode(self) -> str:
        raise RuntimeError("a driver property that raises")


class EmptyCodes(Exception):
    pgcode = ""
    sqlstate = None


def test_reads_where_each_driver_puts_it() -> None:
    assert driver_sqlstate(Psycopg2Like()) == "23505"
    assert driver_sqlstate(PsycopgLike()) == "40001"


def test_none_without_a_code_and_never_raises() -> None:
    assert driver_sqlstate(ValueError("x")) is None
    assert driver_sqlstate(EmptyCodes()) is None
    assert driver_sqlstate(Hostile()) is None
