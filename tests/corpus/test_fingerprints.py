"""
Fingerprints on live failures: the same problem matches across runs, ids and values; a different
missing name, route, constraint or SQLSTATE is a different problem.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pyarrow as pa
import pydantic
import pytest
import requests

from airflow_errorguard.classification.classifier import Classifier
from tests.corpus.fam_postgres import URL as PG_URL
from tests.corpus.model import Case, in_ci, raised
from tests.corpus.servers import ScriptedHTTP

pytestmark = pytest.mark.corpus


def fingerprint(exc: BaseException) -> str:
    return Classifier().classify(exc).fingerprint


@pytest.fixture(scope="module")
def http() -> Iterator[ScriptedHTTP]:
    server = ScriptedHTTP()
    yield server
    server.close()


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    try:
        conn = psycopg2.connect(PG_URL, connect_timeout=5)
    except psycopg2.Error as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL unreachable -- CI=true, so this fails: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE fp_orders (id int PRIMARY KEY, email text CONSTRAINT fp_email_key UNIQUE,"
            " customer_id int, order_id int)"
        )
        cur.execute("INSERT INTO fp_orders VALUES (1, 'a@example.com', 1, 1)")
    yield conn
    conn.close()


def _sql(conn: Any, statement: str) -> Callable[[], None]:
    def run() -> None:
        with conn.cursor() as cur:
            cur.execute(statement)

    return run


class Order(pydantic.BaseModel):
    customer_id: int
    currency: str


def _get(url: str) -> Callable[[], None]:
    return lambda: requests.get(url, timeout=5).raise_for_status()


def test_a_missing_key_attribute_or_field_name_is_identity() -> None:
    record: dict[str, int] = {"amount": 1}
    assert fingerprint(raised(lambda: record["customer_id"])) == fingerprint(
        raised(lambda: {"x": 2}["customer_id"])
    )
    assert fingerprint(raised(lambda: record["customer_id"])) != fingerprint(
        raised(lambda: record["order_id"])
    )
    assert fingerprint(raised(lambda: object().customer_id)) != fingerprint(  # type: ignore[attr-defined]
        raised(lambda: object().order_id)  # type: ignore[attr-defined]
    )
    table = pa.table({"amount": [1]})
    assert fingerprint(raised(lambda: table.select(["customer_id"]))) != fingerprint(
        raised(lambda: table.select(["order_id"]))
    )
    missing_customer = raised(lambda: Order.model_validate({"currency": "EUR"}))
    missing_currency = raised(lambda: Order.model_validate({"customer_id": 7}))
    assert fingerprint(missing_customer) != fingerprint(missing_currency)
    assert fingerprint(missing_customer) == fingerprint(
        raised(lambda: Order.model_validate({"currency": "USD"}))
    )


def test_quoted_values_numbers_uuids_and_dated_paths_are_volatile(tmp_path: Path) -> None:
    def currency(code: str) -> Callable[[], None]:
        def check() -> None:
            if code not in {"EUR", "USD"}:
                raise ValueError(f"unknown currency {code!r} in order {uuid.uuid4()} at row {len(code) * 17}")

        return check

    assert fingerprint(raised(currency("EURO"))) == fingerprint(raised(currency("DOLLARS")))
    day1, day2 = tmp_path / "2026-11-28" / "orders.csv", tmp_path / "2026-11-29" / "orders.csv"
    assert fingerprint(raised(lambda: open(day1))) == fingerprint(raised(lambda: open(day2)))  # noqa: SIM115
    assert fingerprint(raised(lambda: int("12a"))) == fingerprint(raised(lambda: int("9999b")))


def test_an_http_route_template_is_identity(http: ScriptedHTTP) -> None:
    other = ScriptedHTTP()  # another port: the same service restarted elsewhere
    try:
        customer_42 = raised(_get(http.url("/status/404/v1/customers/42")))
        customer_43 = raised(_get(other.url("/status/404/v1/customers/43?expand=1")))
        order_42 = raised(_get(http.url("/status/404/v1/orders/42")))
        denied_42 = raised(_get(http.url("/status/403/v1/customers/42")))
    finally:
        other.close()
    assert fingerprint(customer_42) == fingerprint(customer_43)
    assert fingerprint(customer_42) != fingerprint(order_42)
    assert fingerprint(customer_42) != fingerprint(denied_42)  # the status is identity too


def test_sqlstate_constraint_and_column_are_identity(pg: Any) -> None:
    dup_id_2 = raised(_sql(pg, "INSERT INTO fp_orders VALUES (1, 'b@example.com', 2, 2)"))
    dup_id_3 = raised(_sql(pg, "INSERT INTO fp_orders VALUES (1, 'c@example.com', 3, 3)"))
    dup_email = raised(_sql(pg, "INSERT INTO fp_orders VALUES (9, 'a@example.com', 3, 3)"))
    assert fingerprint(dup_id_2) == fingerprint(dup_id_3)  # same constraint, other values
    assert fingerprint(dup_id_2) != fingerprint(dup_email)  # another constraint
    no_customer = raised(_sql(pg, "SELECT customer_ref FROM fp_orders WHERE id = 1"))
    no_order = raised(_sql(pg, "SELECT order_ref FROM fp_orders WHERE id = 1"))
    assert fingerprint(no_customer) != fingerprint(no_order)
    assert fingerprint(no_customer) == fingerprint(
        raised(_sql(pg, "SELECT customer_ref FROM fp_orders WHERE id = 25"))
    )
    bad_uuid_a = raised(_sql(pg, "SELECT 'abc'::uuid"))
    bad_uuid_b = raised(_sql(pg, f"SELECT '{uuid.uuid4().hex[:9]}'::uuid"))
    assert fingerprint(bad_uuid_a) == fingerprint(bad_uuid_b)


def test_corpus_pairs_with_one_class_are_told_apart_by_their_code(
    live_corpus: tuple[list[Case], dict[str, str]],
) -> None:
    cases, missing = live_corpus
    by_id = {case.id: case.exc for case in cases}
    pairs = [
        ("postgres:pg8000-unique", "postgres:pg8000-not-null"),  # one DatabaseError class, two SQLSTATEs
        ("mysql:no-table", "mysql:no-column"),  # one ProgrammingError class, two MySQL codes
        ("smtp:rcpt-450", "smtp:rcpt-550"),  # one SMTPRecipientsRefused, two replies
        ("amqp:pika-queue-404", "amqp:pika-406-redeclare"),  # one ChannelClosedByBroker, two reply codes
        ("grpc:grpc-unavailable", "grpc:grpc-not_found"),  # one _InactiveRpcError, two statuses
        ("process:killed-sig9", "process:killed-sig15"),  # one CalledProcessError, two signals
    ]
    checked = 0
    for first, second in pairs:
        if first in by_id and second in by_id:
            assert fingerprint(by_id[first]) != fingerprint(by_id[second]), (first, second)
            checked += 1
    if checked < len(pairs):
        assert missing and not in_ci(), f"missing corpus cases: {missing}"
