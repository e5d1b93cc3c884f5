"""Warehouse clients' own codes read from real exception objects: Snowflake's error number over its
coarse SQLSTATE, the Java exception a WebHDFS ``RemoteException`` names, the ClickHouse number a
server sent (not a client-side error's), databricks-sql-connector's ``context["http-code"]`` and
cassandra-driver's per-host errors; and for each, a cached verdict equals an uncached one. The live
scenarios are in tests/corpus/fam_warehouses.py."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import clickhouse_driver.errors
import pytest
import snowflake.connector.errors as sf
from cassandra.cluster import NoHostAvailable
from cassandra.connection import ProtocolError
from databricks.sql.exc import RequestError
from hdfs.util import HdfsError
from hypothesis import given
from hypothesis import strategies as st

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.signals import LinkFacts
from tests.unit.classification.test_fuzz import FUZZ
from tests.unit.helpers import assert_cached_equals_uncached, assert_verdict

pytestmark = pytest.mark.unit

T, D, C, S = (
    ErrorCategory.TRANSIENT,
    ErrorCategory.DATA,
    ErrorCategory.CONFIGURATION,
    ErrorCategory.SYSTEM,
)


def snowflake(errno: Any, sqlstate: str | None, msg: str = "failed", kind: type = sf.DatabaseError) -> Any:
    """A Snowflake error with *errno* as given: newer connectors keep a login body's code as the
    string the server sent; older ones format ``errno`` as a number when the error is built, so it is
    built with the number and then given the string."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        error = kind(msg=msg, errno=int(errno), sqlstate=sqlstate)
    error.errno = errno
    return error


@pytest.mark.parametrize(
    ("errno", "sqlstate", "category", "code"),
    [
        ("390318", "08001", C, "snowflake:390xxx"),  # expired OAuth token, sent as 08001
        ("390102", "08001", C, "snowflake:390xxx"),  # locked user
        (390999, "08001", C, "snowflake:390xxx"),  # a login-service number not seen before
        ("390112", "08001", T, "snowflake:390112"),  # the session's own token expired
        (606, "57P03", C, "snowflake:606"),  # no active warehouse, sent as 57P03
    ],
)
def test_a_snowflake_number_outranks_its_coarse_sqlstate(errno, sqlstate, category, code, classifier) -> None:
    assert_verdict(classifier.classify(snowflake(errno, sqlstate)), category, f"builtin:code:{code}")


def test_the_login_http_status_is_read_only_from_the_connectors_own_errors(classifier: Classifier) -> None:
    text = "Failed to login: Snowflake responded with error status: 403 Forbidden, message: x"
    assert_verdict(
        classifier.classify(snowflake(250001, "08001", text)), C, "builtin:code:snowflake:http-403"
    )
    # Without a status the connector's generic failure is its SQLSTATE's: a connection failure.
    assert_verdict(classifier.classify(snowflake(250001, "08001", "refused")), T, "builtin:sqlstate:08001")
    # A server number never reads a status out of the text.
    facts = LinkFacts(snowflake(2003, "42S02", "error status: 403"))
    assert facts.cloud_code == "snowflake:2003"


def test_a_snowflake_number_is_not_an_os_errno() -> None:
    facts = LinkFacts(snowflake(111, "XX000", kind=sf.ProgrammingError))  # 111: ECONNREFUSED as an errno
    assert facts.errno is None and facts.cloud_code == "snowflake:111"


@pytest.mark.parametrize(
    ("exception", "category"),
    [
        ("FileNotFoundException", C),
        ("org.apache.hadoop.ipc.StandbyException", T),
        ("SafeModeException", T),
        ("AccessControlException", C),
        ("DSQuotaExceededException", S),
    ],
)
def test_the_java_exception_of_a_remote_exception_decides(exception, category, classifier) -> None:
    short = exception.rsplit(".", 1)[-1]
    error = HdfsError("m", exception=exception)
    assert_verdict(classifier.classify(error), category, f"builtin:code:hadoop:{short}")


@pytest.mark.parametrize("exception", [None, 7, "not a class", "x" * 500, "java.lang.Object"])
def test_an_odd_remote_exception_name_is_not_read(exception) -> None:
    assert LinkFacts(HdfsError("m", exception=exception)).cloud_code is None


@pytest.mark.parametrize(
    ("code", "category", "name"),
    [(60, C, "UNKNOWN_TABLE"), (516, C, "AUTHENTICATION_FAILED"), (241, T, "MEMORY_LIMIT_EXCEEDED")],
)
def test_the_number_a_clickhouse_server_sent_is_named(code, category, name, classifier) -> None:
    error = clickhouse_driver.errors.ServerException("DB::Exception: x", code=code)
    assert_verdict(classifier.classify(error), category, f"builtin:code:clickhouse:{name}")


def test_a_clickhouse_client_error_number_is_not_the_servers(classifier: Classifier) -> None:
    # 102 (UNEXPECTED_PACKET_FROM_SERVER) is the client's own: the peer is not a native ClickHouse port.
    error = clickhouse_driver.errors.UnexpectedPacketFromServerError("Unexpected packet from server")
    assert LinkFacts(error).cloud_code is None
    assert_verdict(classifier.classify(error), C, "builtin:type:clickhouse_driver.errors.")


@pytest.mark.parametrize(("status", "category"), [(401, C), (403, C), (None, T)])
def test_databricks_context_http_code_is_the_status(status, category, classifier: Classifier) -> None:
    context = {"method": "OpenSession", "http-code": status} if status else {"method": "OpenSession"}
    facts = LinkFacts(RequestError("Error during request to server. ", context))
    assert facts.http_status == status
    assert classifier.classify(facts.exc).category is category


def no_host(*errors: BaseException) -> NoHostAvailable:
    return NoHostAvailable(
        "Unable to connect to any servers", {f"10.0.0.{i}:9042": e for i, e in enumerate(errors)}
    )


def test_cassandra_per_host_errors_are_members(classifier: Classifier) -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    assert classifier.classify(no_host(refused)).category is T
    protocol = ProtocolError("This version of the driver does not support protocol version 100")
    assert classifier.classify(no_host(protocol)).category is C
    mixed = LinkFacts(no_host(refused, protocol))
    assert [kind for _, kind in mixed.children] == ["member", "member"]
    assert len(LinkFacts(no_host(*[refused] * 20)).children) == 8  # bounded


MAKERS: list[tuple[Callable[[], BaseException], ErrorCategory]] = [
    (lambda: snowflake("390318", "08001"), C),
    (lambda: snowflake("390112", "08001"), T),
    (lambda: snowflake(250001, "08001", "responded with error status: 404 Not Found"), C),
    (lambda: snowflake(250001, "08001", "Connection refused"), T),
    (lambda: snowflake(606, "57P03", kind=sf.ProgrammingError), C),
    (lambda: snowflake(630, "57014", kind=sf.ProgrammingError), T),
    (lambda: HdfsError("m", exception="StandbyException"), T),
    (lambda: HdfsError("m", exception="FileNotFoundException"), C),
    (lambda: clickhouse_driver.errors.ServerException("x", code=60), C),
    (lambda: clickhouse_driver.errors.ServerException("x", code=202), T),
    (lambda: RequestError("e", {"http-code": 401}), C),
    (lambda: RequestError("e", {"http-code": 503}), T),
    (lambda: no_host(ConnectionRefusedError(111, "refused")), T),
    (lambda: no_host(ProtocolError("bad version")), C),
]


@FUZZ
@given(order=st.lists(st.integers(0, len(MAKERS) - 1), min_size=1, max_size=12))
def test_warehouse_codes_cached_equals_uncached(order: list[int]) -> None:
    """Exceptions of one class that differ only in the new facts never share a cached verdict."""
    assert_cached_equals_uncached(MAKERS, order)
