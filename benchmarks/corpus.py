"""A corpus of real exceptions from real libraries (no network), shared by the benchmarks."""

from __future__ import annotations

import decimal
import errno
import json
import socket
import sqlite3
from collections.abc import Callable
from datetime import datetime

import aiohttp
import botocore.exceptions
import google.api_core.exceptions as gexc
import httpx
import pendulum
import psycopg2.errors
import pymysql.err
import requests
import sqlalchemy
import urllib3.exceptions
from airflow.sdk.exceptions import AirflowException
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from airflow_errorguard.compat import AirflowNotFoundException, AirflowTaskTimeout


def _raised(fn: Callable[[], object]) -> BaseException:
    try:
        fn()
    except BaseException as exc:
        return exc
    raise AssertionError(f"{fn} did not raise")


def _requests_http(status: int, retry_after: str | None = None) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response.url = "https://api.example.com/v1/items/42"
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return requests.HTTPError(f"{status} error", response=response)


def _httpx_status(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "https://api.example.com/v1/items")
    response = httpx.Response(status, request=request, headers={"Retry-After": "3"})
    return httpx.HTTPStatusError(f"{status}", request=request, response=response)


def _aiohttp_status(status: int) -> aiohttp.ClientResponseError:
    info = aiohttp.RequestInfo(URL("https://api.example.com/x"), "GET", CIMultiDictProxy(CIMultiDict()))
    return aiohttp.ClientResponseError(info, (), status=status, message="error")


def _boto(code: str, status: int) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetObject",
    )


def _chain(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as caught:
            raise outer from caught
    except BaseException as exc:
        return exc


def _sqlite_locked() -> BaseException:
    import tempfile

    path = tempfile.mktemp(suffix=".db")
    first = sqlite3.connect(path, timeout=0)
    first.execute("CREATE TABLE t (x)")
    first.execute("BEGIN EXCLUSIVE")
    second = sqlite3.connect(path, timeout=0)
    error = _raised(lambda: second.execute("SELECT * FROM t"))
    first.rollback()
    first.close()
    second.close()
    return error


def build_corpus() -> list[BaseException]:
    """At least 40 exceptions as pipelines meet them, chains and groups included."""
    memory = sqlite3.connect(":memory:")
    memory.execute("CREATE TABLE u (id INTEGER PRIMARY KEY)")
    memory.execute("INSERT INTO u VALUES (1)")
    engine = sqlalchemy.create_engine("sqlite://")
    corpus: list[BaseException] = [
        _requests_http(429, "7"),
        _requests_http(503),
        _requests_http(404),
        _requests_http(401),
        _requests_http(422),
        requests.ConnectionError("Connection aborted."),
        requests.ReadTimeout("Read timed out. (read timeout=30)"),
        requests.exceptions.MissingSchema("Invalid URL 'api/items': No scheme supplied"),
        _httpx_status(502),
        httpx.ConnectTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection"),  # type: ignore[arg-type]
        _aiohttp_status(500),
        _boto("ThrottlingException", 400),
        _boto("AccessDenied", 403),
        _boto("ValidationException", 400),
        botocore.exceptions.EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"),
        botocore.exceptions.NoCredentialsError(),
        gexc.from_http_status(503, "backend unavailable"),
        gexc.TooManyRequests("quota"),
        gexc.PermissionDenied("caller lacks permission"),
        gexc.Aborted("transaction aborted"),
        psycopg2.errors.DeadlockDetected(),
        psycopg2.errors.UniqueViolation(),
        psycopg2.OperationalError('FATAL:  password authentication failed for user "etl"'),
        pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock"),
        pymysql.err.IntegrityError(1062, "Duplicate entry '42' for key 'PRIMARY'"),
        _raised(lambda: memory.execute("SELECT * FROM nope")),
        _raised(lambda: memory.execute("INSERT INTO u VALUES (1)")),
        _sqlite_locked(),
        _raised(lambda: engine.connect().execute(sqlalchemy.text("SELECT * FROM missing"))),
        _raised(lambda: json.loads('{"id": 1,')),
        _raised(lambda: decimal.Decimal("12,50")),
        _raised(lambda: datetime.strptime("2026-13-45", "%Y-%m-%d")),
        _raised(lambda: pendulum.parse("not a date")),
        _raised(lambda: b"\xff\xfe\xfa".decode("utf-8")),
        _raised(lambda: {"id": 1}["customer_id"]),
        _raised(lambda: open("/nonexistent/input/orders.csv")),  # noqa: SIM115
        _raised(lambda: socket.create_connection(("127.0.0.1", 9), timeout=1)),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        OSError(errno.ENOSPC, "No space left on device"),
        MemoryError(),
        AirflowNotFoundException("The conn_id `warehouse` isn't defined"),
        AirflowTaskTimeout("Timeout, PID: 4242"),
        _chain(AirflowException("partner API call failed"), _requests_http(503)),
        _chain(RuntimeError("load failed"), psycopg2.errors.SerializationFailure()),
        ExceptionGroup(
            "batch", [ConnectionResetError(errno.ECONNRESET, "reset"), PermissionError(13, "denied")]
        ),
        RuntimeError("the frobnicator is out of sync"),
    ]
    memory.close()
    return corpus
