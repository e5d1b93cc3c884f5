"""Retry and concurrency wrappers users put around calls, raised live, whose real failure sits one
level or more inside: tenacity's ``RetryError`` from ``AsyncRetrying``, the ``Retrying`` loop, a
result-based retry, nested retries and database connects; ``ExceptionGroup`` from asyncio's and
anyio's task groups (alone, mixed, nested); urllib3 ``MaxRetryError`` with each kind of reason; and
executors re-raising or breaking."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
from collections.abc import Callable
from typing import Any

import anyio
import psycopg2
import requests
import tenacity
import urllib3
from requests.adapters import HTTPAdapter

from tests.corpus.model import C, D, Family, S, T, U
from tests.corpus.rawservers import RawServer, serve
from tests.corpus.servers import ScriptedHTTP, free_port


def _two_attempts(**kw: Any) -> dict[str, Any]:
    return {"stop": tenacity.stop_after_attempt(2), "wait": tenacity.wait_none(), **kw}


def _exit_worker() -> None:
    os._exit(3)  # the worker process dies (OOM killer, segfault in a C extension)


def _read_settings() -> None:
    with open("/nonexistent/errorguard/pipeline.yaml") as handle:
        handle.read()


async def _async_read_settings() -> None:
    await asyncio.sleep(0)
    _read_settings()


async def _async_parse() -> None:
    await asyncio.sleep(0)
    int("12,5")


def build(family: Family, closing: list[Any]) -> None:
    http = serve(closing, ScriptedHTTP())
    refused = free_port()

    async def open_refused() -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", refused)
        writer.close()

    _tenacity_cases(family, http, open_refused)
    _group_cases(family, open_refused)
    _pool_cases(family, closing, http, refused)


def _tenacity_cases(family: Family, http: ScriptedHTTP, open_refused: Callable[[], Any]) -> None:
    def async_tenacity() -> None:
        async def run() -> None:
            async for attempt in tenacity.AsyncRetrying(**_two_attempts()):
                with attempt:
                    await open_refused()

        asyncio.run(run())

    def retrying_loop(code: int) -> Callable[[], None]:
        def run() -> None:
            for attempt in tenacity.Retrying(**_two_attempts()):
                with attempt:
                    requests.get(http.url(f"/status/{code}"), timeout=5).raise_for_status()

        return run

    def poll_never_done() -> None:
        tenacity.Retrying(**_two_attempts(retry=tenacity.retry_if_result(lambda state: state != "done")))(
            lambda: "running"
        )

    def nested() -> None:
        inner = tenacity.retry(**_two_attempts())(_read_settings)
        tenacity.retry(**_two_attempts())(inner)()

    def pg_connect(dbname: str, port: int = 5432) -> Callable[[], None]:
        def connect() -> Any:
            return psycopg2.connect(
                host="127.0.0.1", port=port, user="postgres", dbname=dbname, connect_timeout=3
            )

        return tenacity.retry(**_two_attempts())(connect)

    for name, run, accept, why in (
        ("tenacity-async-refused", async_tenacity, T, "AsyncRetrying gave up: every attempt was refused"),
        ("tenacity-loop-401", retrying_loop(401), C, "the Retrying loop gave up on a 401: credentials"),
        ("tenacity-loop-502", retrying_loop(502), T, "the Retrying loop gave up on a 502"),
        ("tenacity-poll-result", poll_never_done, {T, U}, "retry_if_result gave up: the state never came"),
        ("tenacity-nested-file", nested, C, "a RetryError around a RetryError around a missing file"),
        (
            "tenacity-pg-unknown-db",
            pg_connect("no_such_db_errorguard"),
            C,
            "RetryError over 3D000 at connect",
        ),
        ("tenacity-pg-refused", pg_connect("postgres", free_port()), T, "RetryError over a refused connect"),
    ):
        family.add(name, run, accept, why)


def _group_cases(family: Family, open_refused: Callable[[], Any]) -> None:
    async def task_group(*coros: Callable[[], Any]) -> None:
        async with asyncio.TaskGroup() as tg:
            for coro in coros:
                tg.create_task(coro())

    def group(*coros: Callable[[], Any]) -> Callable[[], None]:
        return lambda: asyncio.run(task_group(*coros))

    async def inner_group() -> None:
        await task_group(open_refused, _async_read_settings)

    def anyio_group(*fns: Callable[[], Any]) -> Callable[[], None]:
        async def run() -> None:
            async with anyio.create_task_group() as tg:
                for fn in fns:
                    tg.start_soon(fn)

        return lambda: anyio.run(run)

    for name, run, accept, why in (
        ("taskgroup-refused", group(open_refused, open_refused), T, "ExceptionGroup of two refused connects"),
        (
            "taskgroup-mixed",
            group(open_refused, _async_read_settings),
            C,
            "ExceptionGroup: a refused connect and a missing settings file: fix the file first",
        ),
        ("taskgroup-data", group(_async_parse), D, "ExceptionGroup of one ValueError parsing a value"),
        (
            "taskgroup-nested",
            group(inner_group, open_refused),
            C,
            "nested ExceptionGroups, a missing file inside",
        ),
        ("anyio-refused", anyio_group(open_refused), T, "anyio task group: refused"),
        (
            "anyio-file",
            anyio_group(_async_read_settings, open_refused),
            C,
            "anyio task group: a missing file",
        ),
    ):
        family.add(name, run, accept, why)


def _pool_cases(family: Family, closing: list[Any], http: ScriptedHTTP, refused: int) -> None:
    hangup = serve(closing, RawServer(b""))

    def pool(**retry: Any) -> urllib3.PoolManager:
        manager = urllib3.PoolManager(retries=urllib3.Retry(backoff_factor=0, **retry))
        closing.append(manager.clear)
        return manager

    def connect() -> None:
        socket.create_connection(("127.0.0.1", refused), timeout=2).close()

    session = requests.Session()
    retry_429 = urllib3.Retry(total=1, status_forcelist=[429], backoff_factor=0)
    session.mount("http://", HTTPAdapter(max_retries=retry_429))
    closing.append(session.close)
    executor = concurrent.futures.ThreadPoolExecutor(2)
    closing.append(lambda: executor.shutdown(wait=False, cancel_futures=True))

    def process_pool_broken() -> None:
        with concurrent.futures.ProcessPoolExecutor(1) as procs:
            procs.submit(_exit_worker).result(timeout=30)

    for name, run, accept, why in (
        (
            "urllib3-unknown-host",
            lambda: pool(total=1).request("GET", "http://no-such-host.errorguard.invalid/", timeout=3),
            C,
            "MaxRetryError caused by NameResolutionError: the host is misspelled",
        ),
        (
            "urllib3-read-timeout",
            lambda: pool(total=1).request("GET", http.url("/slow"), timeout=0.05),
            T,
            "MaxRetryError caused by ReadTimeoutError",
        ),
        (
            "urllib3-hangup",
            lambda: pool(total=1).request("GET", hangup.url("/"), timeout=3),
            T,
            "MaxRetryError caused by ProtocolError: the peer hung up",
        ),
        (
            "urllib3-500s",
            lambda: pool(total=1, status_forcelist=[500]).request("GET", http.url("/status/500"), timeout=3),
            {T, U},
            "MaxRetryError caused by ResponseError: too many 500 error responses",
        ),
        ("requests-retry-429", lambda: session.get(http.url("/status/429"), timeout=5), T, "too many 429s"),
        (
            "executor-map-refused",
            lambda: list(executor.map(lambda _: connect(), range(2), timeout=5)),
            T,
            "Executor.map re-raises the worker's refused connect",
        ),
        ("process-pool-broken", process_pool_broken, {S, T, U}, "BrokenProcessPool: the worker process died"),
    ):
        family.add(name, run, accept, why)
