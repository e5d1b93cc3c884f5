"""Wire clients and retry/concurrency wrappers the first waves do not use, raised live on loopback:
paramiko against an in-process SSH server (authentication, host keys, channels), aio-pika against
RabbitMQ, websockets against an in-process WebSocket server, and the wrappers pipelines put around
calls: tenacity's ``RetryError``, urllib3/requests retry exhaustion, ``concurrent.futures`` and
asyncio timeouts and cancellation."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import aio_pika
import paramiko
import requests
import tenacity
import urllib3
import websockets.sync.client
import websockets.sync.server
from requests.adapters import HTTPAdapter

from tests.corpus.fam_amqp import HOST as AMQP_HOST
from tests.corpus.fam_amqp import PORT as AMQP_PORT
from tests.corpus.model import C, D, Family, S, T, U
from tests.corpus.rawservers import FullBacklog, RawServer, serve
from tests.corpus.servers import ScriptedHTTP, free_port
from tests.corpus.sshserver import SSHServer


def build(family: Family, closing: list[Any]) -> None:
    for noisy in ("paramiko", "aiormq", "aio_pika", "websockets"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    _ssh_cases(family, closing)
    _aio_pika_cases(family)
    _websocket_cases(family, closing)
    _wrapper_cases(family, closing)


# -- paramiko ------------------------------------------------------------------------------------


def _ssh_cases(family: Family, closing: list[Any]) -> None:
    server = serve(closing, SSHServer(run_commands=False))
    other_key = paramiko.ECDSAKey.generate()

    def connect(port: int, password: str = "secret", known: paramiko.PKey | None = None, **kw: Any) -> Any:
        def run() -> None:
            client = paramiko.SSHClient()
            if known is not None:
                client.get_host_keys().add(f"[127.0.0.1]:{port}", known.get_name(), known)
                client.set_missing_host_key_policy(paramiko.RejectPolicy())
            elif kw.pop("reject", False):
                client.set_missing_host_key_policy(paramiko.RejectPolicy())
            else:
                client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            then = kw.pop("then", None)
            try:
                client.connect(
                    "127.0.0.1",
                    port,
                    username="etl",
                    password=password,
                    timeout=3,
                    banner_timeout=3,
                    auth_timeout=3,
                    look_for_keys=False,
                    allow_agent=False,
                    **kw,
                )
                if then is not None:
                    then(client)
            finally:
                client.close()

        return run

    http = serve(closing, RawServer(b"HTTP/1.1 400 Bad Request\r\n\r\n"))
    backlog = serve(closing, FullBacklog())
    for name, run, accept, why in (
        ("auth-failed", connect(server.port, password="wrong"), C, "AuthenticationException: wrong password"),
        ("unknown-host-key", connect(server.port, reject=True), C, "the host key is not in known_hosts"),
        ("bad-host-key", connect(server.port, known=other_key), C, "BadHostKeyException: the key changed"),
        ("refused", connect(free_port()), T, "NoValidConnectionsError: nothing listens (sshd down)"),
        ("not-ssh", connect(http.port), {T, C}, "the port speaks HTTP: no SSH protocol banner"),
        ("connect-timeout", connect(backlog.port), T, "the TCP connect timed out"),
        (
            "exec-refused",
            connect(server.port, then=lambda c: c.exec_command("ls", timeout=3)),
            {C, T},
            "the server refused the exec request on the channel",
        ),
        (
            "no-forwarding",
            connect(
                server.port,
                then=lambda c: c.get_transport().open_channel(
                    "direct-tcpip", ("127.0.0.1", 5432), ("127.0.0.1", 0), timeout=3
                ),
            ),
            C,
            "ChannelException: administratively prohibited (port forwarding disabled)",
        ),
        (
            "bad-private-key",
            lambda: paramiko.RSAKey.from_private_key(io.StringIO("not a key")),
            C,
            "SSHException: the configured private key is not a key",
        ),
        (
            "key-file-missing",
            lambda: paramiko.RSAKey.from_private_key_file("/nonexistent/id_rsa"),
            C,
            "the configured key file does not exist",
        ),
    ):
        family.add(f"ssh-{name}", run, accept, f"paramiko: {why}")


# -- aio-pika ------------------------------------------------------------------------------------


def _aio_pika_cases(family: Family) -> None:
    def run(
        body: Callable[[aio_pika.abc.AbstractChannel], Any],
        password: str = "guest",
        port: int = AMQP_PORT,
        vhost: str = "/",
    ) -> Callable[[], Any]:
        async def go() -> None:
            url = f"amqp://guest:{password}@{AMQP_HOST}:{port}/{vhost.replace('/', '%2F')}"
            connection = await aio_pika.connect(url, timeout=5)
            try:
                channel = await connection.channel()
                await body(channel)
            finally:
                await connection.close()

        return lambda: asyncio.run(go())

    async def nothing(channel: Any) -> None:
        return None

    async def missing_queue(channel: Any) -> None:
        await channel.declare_queue("errorguard-corpus-no-such-queue", passive=True)

    async def redeclare(channel: Any) -> None:
        name = f"errorguard-corpus-{time.monotonic_ns()}"
        await channel.declare_queue(name, auto_delete=True)
        await channel.declare_queue(name, durable=True, auto_delete=False)

    async def missing_exchange(channel: Any) -> None:
        await channel.declare_exchange("errorguard-corpus-no-such-exchange", passive=True)

    async def bad_exchange_type(channel: Any) -> None:
        await channel.declare_exchange("errorguard-corpus-x", type="no-such-type")

    for name, raiser, accept, why in (
        ("refused", run(nothing, port=free_port()), T, "AMQPConnectionError: the broker is down"),
        (
            "bad-password",
            run(nothing, password="wrong"),
            C,
            "ProbableAuthenticationError: 403 ACCESS_REFUSED",
        ),
        ("no-vhost", run(nothing, vhost="no-such-vhost-eg"), C, "the virtual host does not exist"),
        ("queue-missing", run(missing_queue), C, "404 NOT_FOUND: a passive declare of a missing queue"),
        ("precondition", run(redeclare), C, "406 PRECONDITION_FAILED: redeclared with other arguments"),
        ("exchange-missing", run(missing_exchange), C, "404 NOT_FOUND: no such exchange"),
        ("exchange-type", run(bad_exchange_type), C, "503 COMMAND_INVALID: an unknown exchange type"),
    ):
        family.add(f"aiopika-{name}", raiser, accept, f"aio-pika: {why}")


# -- websockets ----------------------------------------------------------------------------------


def _websocket_cases(family: Family, closing: list[Any]) -> None:
    def handler(ws: Any) -> None:
        path = ws.request.path
        with contextlib.suppress(Exception):
            if path == "/internal":
                ws.close(1011, "internal error")
            elif path == "/again":
                ws.close(1013, "try again later")
            elif path == "/policy":
                ws.close(1008, "policy violation: unauthorised topic")
            elif path == "/toobig":
                ws.recv()
            elif path == "/drop":
                ws.socket.shutdown(socket.SHUT_RDWR)
                ws.socket.close()

    server = websockets.sync.server.serve(handler, "127.0.0.1", 0, max_size=1024)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    closing.append(server.shutdown)
    port = server.socket.getsockname()[1]
    http = serve(closing, ScriptedHTTP())

    def talk(url: str, send: Any = "hi", **kw: Any) -> Callable[[], Any]:
        def run() -> None:
            with websockets.sync.client.connect(url, open_timeout=3, close_timeout=1, **kw) as ws:
                ws.send(send)
                ws.recv(timeout=3)

        return run

    base = f"ws://127.0.0.1:{port}"
    for name, run, accept, why in (
        ("refused", talk(f"ws://127.0.0.1:{free_port()}/"), T, "connection refused"),
        ("forbidden", talk(http.url("/status/403").replace("http", "ws")), C, "InvalidStatus 403"),
        (
            "not-found",
            talk(http.url("/status/404").replace("http", "ws")),
            C,
            "InvalidStatus 404: wrong path",
        ),
        ("unavailable", talk(http.url("/status/503").replace("http", "ws")), T, "InvalidStatus 503"),
        ("unauthorized", talk(http.url("/status/401").replace("http", "ws")), C, "InvalidStatus 401"),
        ("internal-close", talk(f"{base}/internal"), T, "closed with 1011 internal error"),
        ("try-again", talk(f"{base}/again"), T, "closed with 1013 try again later"),
        ("policy-close", talk(f"{base}/policy"), {C, D}, "closed with 1008 policy violation"),
        ("dropped", talk(f"{base}/drop"), T, "ConnectionClosedError: no close frame (the peer vanished)"),
        (
            "too-big",
            talk(f"{base}/toobig", send="x" * 4096, max_size=None),
            {T, D},
            "the server's max_size refused the frame (1009): a message too big",
        ),
        ("bad-uri", talk("http:/nowhere"), C, "InvalidURI: the configured URL is not a ws:// URI"),
    ):
        family.add(f"websockets-{name}", run, accept, f"websockets: {why}")


# -- retry and concurrency wrappers --------------------------------------------------------------


def _wrapper_cases(family: Family, closing: list[Any]) -> None:
    http = serve(closing, ScriptedHTTP())
    refused = free_port()

    def tenacity_around(fn: Callable[[], Any], **kw: Any) -> Callable[[], Any]:
        return tenacity.retry(stop=tenacity.stop_after_attempt(2), wait=tenacity.wait_none(), **kw)(fn)

    def connect_refused() -> None:
        socket.create_connection(("127.0.0.1", refused), timeout=2).close()

    def http_status(code: int) -> Callable[[], Any]:
        return lambda: requests.get(http.url(f"/status/{code}"), timeout=5).raise_for_status()

    def read_config() -> None:
        with open("/nonexistent/errorguard/settings.yaml") as handle:
            handle.read()

    def missing_column() -> None:
        row: dict[str, int] = {"id": 1}
        _ = row["customer_id"]

    retry_503 = urllib3.Retry(total=1, status_forcelist=[503], backoff_factor=0)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry_503))
    closing.append(session.close)
    pool = urllib3.PoolManager(retries=retry_503)
    closing.append(pool.clear)
    executor = concurrent.futures.ThreadPoolExecutor(2)
    closing.append(lambda: executor.shutdown(wait=False, cancel_futures=True))
    stopped = concurrent.futures.ThreadPoolExecutor(1)
    stopped.shutdown()

    async def async_timeout() -> None:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)

    async def cancelled() -> None:
        task = asyncio.create_task(asyncio.sleep(1))
        await asyncio.sleep(0)
        task.cancel()
        await task

    def future_cancelled() -> None:
        gate = threading.Event()
        with concurrent.futures.ThreadPoolExecutor(1) as one:
            one.submit(gate.wait, 2)
            queued = one.submit(time.sleep, 0)
            queued.cancel()
            gate.set()
            queued.result()

    for name, run, accept, why in (
        (
            "tenacity-refused",
            tenacity_around(connect_refused),
            T,
            "RetryError whose last attempt was refused",
        ),
        ("tenacity-503", tenacity_around(http_status(503)), T, "RetryError whose last attempt got a 503"),
        ("tenacity-404", tenacity_around(http_status(404)), {C, D}, "RetryError around a 404: not transient"),
        (
            "tenacity-missing-file",
            tenacity_around(read_config),
            C,
            "RetryError around a missing settings file",
        ),
        ("tenacity-keyerror", tenacity_around(missing_column), {D, C}, "RetryError around a KeyError"),
        ("tenacity-reraise-401", tenacity_around(http_status(401), reraise=True), C, "reraise=True: the 401"),
        (
            "requests-retry-503",
            lambda: session.get(http.url("/status/503"), timeout=5),
            T,
            "requests RetryError: too many 503 responses",
        ),
        (
            "urllib3-retry-503",
            lambda: pool.request("GET", http.url("/status/503"), timeout=5),
            T,
            "urllib3 MaxRetryError: too many 503 error responses",
        ),
        (
            "urllib3-retry-refused",
            lambda: pool.request("GET", f"http://127.0.0.1:{refused}/", timeout=5),
            T,
            "urllib3 MaxRetryError caused by NewConnectionError (refused)",
        ),
        (
            "future-timeout",
            lambda: executor.submit(time.sleep, 0.5).result(timeout=0.01),
            T,
            "concurrent.futures result() timed out",
        ),
        ("future-cancelled", future_cancelled, {T, U, S}, "CancelledError: the future was cancelled"),
        ("asyncio-timeout", lambda: asyncio.run(async_timeout()), T, "asyncio.timeout() expired"),
        ("asyncio-cancelled", lambda: asyncio.run(cancelled()), {T, U, S}, "asyncio CancelledError"),
        (
            "executor-shut-down",
            lambda: stopped.submit(print),
            {U, S, C},
            "submit after shutdown: a code defect",
        ),
        (
            "future-raised-keyerror",
            lambda: executor.submit(missing_column).result(timeout=5),
            {D, C},
            "the worker's KeyError re-raised by result()",
        ),
        (
            "gather-refused",
            lambda: asyncio.run(_gather_refused(refused)),
            T,
            "asyncio.gather re-raises the first failure: refused",
        ),
    ):
        family.add(name, run, accept, why)
    family.add(
        "bad-data-in-thread",
        lambda: executor.submit(int, "abc").result(timeout=5),
        D,
        "ValueError from a worker thread: a bad value",
    )


async def _gather_refused(port: int) -> None:
    await asyncio.gather(asyncio.sleep(0), asyncio.open_connection("127.0.0.1", port))
