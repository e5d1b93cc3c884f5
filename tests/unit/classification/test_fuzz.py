"""Property tests: arbitrary exception classes, attributes, messages and links never break
classification or the retry policy."""

from __future__ import annotations

import contextlib
import functools
import json
from datetime import timedelta
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import botocore.exceptions
import httpx
import psycopg2
import pytest
import requests
import sqlalchemy.exc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.compat import RetryAction, RetryDecision
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy
from tests.unit.helpers import BaseExceptionGroup, ExceptionGroup, assert_valid

pytestmark = pytest.mark.unit

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BASES: list[type[BaseException]] = [
    BaseException,
    Exception,
    OSError,
    ConnectionResetError,
    TimeoutError,
    ValueError,
    KeyError,
    RuntimeError,
    MemoryError,
    KeyboardInterrupt,
    requests.exceptions.HTTPError,
    requests.exceptions.ConnectionError,
    httpx.HTTPStatusError,
    botocore.exceptions.ClientError,
    psycopg2.OperationalError,
    sqlalchemy.exc.OperationalError,
]
ATTRS = [
    "status_code",
    "status",
    "code",
    "pgcode",
    "sqlstate",
    "errno",
    "response",
    "headers",
    "args",
    "retry_after",
    "sqlite_errorname",
    "grpc_status_code",
    "error",
    "orig",
    "reason",
    "diag",
    "request",
    "request_info",
    "exceptions",
    "connection_invalidated",
    "last_attempt",
    "cause",
    "url",
]
RAISABLE = [KeyboardInterrupt, SystemExit, GeneratorExit, RuntimeError, RecursionError, MemoryError]


class Opaque:
    """An object whose every attribute read and str() raise."""

    def __init__(self, error: type[BaseException]) -> None:
        self._error = error

    def __getattr__(self, name: str) -> Any:
        raise self._error(name)

    def __str__(self) -> str:
        raise self._error("str")


class HostileDict(dict):  # type: ignore[type-arg]
    def get(self, *args: Any) -> Any:
        raise KeyboardInterrupt

    def __getitem__(self, key: Any) -> Any:
        raise SystemExit


def _response(status: Any, headers: Any, url: Any) -> SimpleNamespace:
    return SimpleNamespace(status_code=status, status=status, headers=headers, url=url)


texts = st.text(max_size=60) | st.sampled_from(
    [
        "429 too many requests",
        "deadlock detected",
        "no such table: x",
        "\x00",
        "\udcff",
        "password authentication failed",
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-10, max_value=700),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    st.binary(max_size=20),
    st.sampled_from(list(HTTPStatus)),
    st.sampled_from(["08006", "40P01", "23505", "28P01", "SQLITE_BUSY", "ThrottlingException", "7", "5xx"]),
    st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
    st.sampled_from(RAISABLE).map(Opaque),
    st.from_type(type).filter(lambda t: t is not type),
)
KEYS = [
    "Error",
    "Code",
    "ResponseMetadata",
    "HTTPStatusCode",
    "HTTPHeaders",
    "Retry-After",
    "retry-after",
    "x",
]


def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    urls = st.sampled_from(["https://api.example.com/v1/x", "not a url", "http://"]) | inner
    return st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=4).map(HostileDict),
        st.builds(_response, inner, inner, urls),
        st.builds(SimpleNamespace, sqlstate=inner, name=inner, error=inner, value=inner, exception=inner),
    )


# Two levels of nesting (botocore-shaped dicts of dicts, responses with header dicts) are enough.
values = st.one_of(scalars, containers(scalars), containers(scalars | containers(scalars)))


@st.composite
def exception_classes(draw: st.DrawFn) -> type[BaseException]:
    base = draw(st.sampled_from(BASES))
    namespace: dict[str, Any] = {
        "__module__": draw(st.sampled_from(["builtins", "fuzz", "pymysql.err", "x.y"]))
    }
    for name in draw(st.lists(st.sampled_from(ATTRS), max_size=3, unique=True)):
        if draw(st.booleans()):
            error = draw(st.sampled_from(RAISABLE))

            def hostile(self: Any, _error: type[BaseException] = error) -> Any:
                raise _error("property")

            namespace[name] = property(hostile)
        else:
            namespace[name] = draw(values)
    if draw(st.integers(0, 5)) == 0:
        error = draw(st.sampled_from(RAISABLE))

        def bad_str(self: Any, _error: type[BaseException] = error) -> str:
            raise _error("str")

        namespace["__str__"] = bad_str
    if draw(st.integers(0, 8)) == 0:
        namespace["__getattr__"] = lambda self, name: (_ for _ in ()).throw(KeyboardInterrupt())
    return type(
        draw(st.sampled_from(["Fuzzed", "OperationalError", "HTTPError", "UniqueViolation"])),
        (base,),
        namespace,
    )


@st.composite
def exceptions(draw: st.DrawFn) -> BaseException:
    count = draw(st.integers(1, 5))
    made: list[BaseException] = []
    for _ in range(count):
        cls = draw(exception_classes())
        exc = cls.__new__(cls, draw(texts))  # bypass constructors with required arguments
        for name in draw(st.lists(st.sampled_from(ATTRS), max_size=4, unique=True)):
            value = draw(values)
            with contextlib.suppress(BaseException):  # read-only or typed attributes: skip them
                setattr(exc, name, value)
        made.append(exc)
    for _ in range(draw(st.integers(0, 8))):  # random links, cycles included
        source, target = draw(st.sampled_from(made)), draw(st.sampled_from(made))
        link = draw(st.sampled_from(["__cause__", "__context__", "orig", "reason", "cause"]))
        try:
            setattr(source, link, target)
            if link == "__cause__" and draw(st.booleans()):
                source.__suppress_context__ = False
        except BaseException:
            pass
    if draw(st.booleans()):
        members = [m for m in made if isinstance(m, Exception)]
        if members and draw(st.booleans()):
            group: BaseException = ExceptionGroup(draw(texts), members)
        else:
            group = BaseExceptionGroup(draw(texts), made)
        if draw(st.booleans()):
            made[0].__context__ = group  # a group inside its own chain
        return group
    return made[0]


RULES = [
    Rule(category="transient", message="timeout|deadlock", name="r-message"),
    Rule(
        category="data",
        http_status=["4xx", "500-502"],
        name="r-status",
        reason="{type} {http_status} {host} {message}",
    ),
    Rule(category="configuration", sqlstate="28*", name="r-sqlstate", dag_id="etl_*"),
    Rule(category="system", errno=["ENOSPC", 5], driver_code="mysql:1213", name="r-codes"),
    Rule(category="data", exception=["*.KeyError", OSError], cloud_code="Throttling", name="r-exc"),
]
CLASSIFIERS = [Classifier(), Classifier(rules=RULES)]
CONTEXTS = st.sampled_from(
    [None, {}, {"dag_id": "etl_x", "task_id": "t"}, {"ti": object()}, {"ti": Opaque(RuntimeError)}]
)


def _check(result: Classification) -> None:
    assert_valid(result)
    if result.retry_after is not None:
        assert timedelta(0) <= result.retry_after <= timedelta(days=7)
    json.dumps(result.to_dict())  # JSON-friendly whatever the input


@FUZZ
@given(exc=exceptions(), which=st.integers(0, 1), context=CONTEXTS)
def test_classify_never_raises(exc: BaseException, which: int, context: Any) -> None:
    _check(CLASSIFIERS[which].classify(exc, context))


@FUZZ
@given(obj=values)
def test_classify_accepts_any_object(obj: Any) -> None:
    _check(Classifier().classify(obj))


@functools.cache
def _policy() -> ErrorGuardRetryPolicy:
    return ErrorGuardRetryPolicy(rules=RULES, system_max_retries=2)


@pytest.mark.airflow33
@FUZZ
@given(exc=exceptions(), try_number=st.integers(1, 10), max_tries=st.integers(0, 10), context=CONTEXTS)
def test_policy_evaluate_never_raises(
    exc: BaseException, try_number: int, max_tries: int, context: Any
) -> None:
    policy = _policy()
    decision = policy.evaluate(exc, try_number, max_tries, context)
    assert isinstance(decision, RetryDecision)
    assert isinstance(decision.action, RetryAction)
    assert isinstance(decision.reason, str) and decision.reason
    if decision.action is RetryAction.RETRY:
        assert decision.retry_delay is not None
        assert timedelta(0) <= decision.retry_delay <= policy.backoff.max_delay  # no rule here has a backoff
    else:
        assert decision.retry_delay is None
