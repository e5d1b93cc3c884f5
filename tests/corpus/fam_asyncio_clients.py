"""Asyncio-native clients: aiosmtplib against aiosmtpd (the SMTP family's scripted replies),
aiosqlite on real database files, anyio's structured concurrency (timeouts, task groups, memory
streams, TCP and TLS connects), asyncio streams, and psutil looking at processes that are gone."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import aiosqlite
import anyio
import psutil

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import SilentPort, serve
from tests.corpus.servers import LineServer, free_port, scripted_smtp

NEEDS_TMP = True


def _run(factory: Callable[[], Awaitable[Any]]) -> Callable[[], Any]:
    return lambda: asyncio.run(factory())  # type: ignore[arg-type]


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    _smtp_cases(family, closing)
    _sqlite_cases(family, tmp)
    _anyio_cases(family, closing)
    _process_cases(family)


def _smtp_cases(family: Family, closing: list[Any]) -> None:
    plain = scripted_smtp(closing)
    auth = scripted_smtp(closing, deny_logins=True)

    def send(port: int, sender: str, to: str, header: str = "", **options: Any) -> Callable[[], Any]:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, "daily load"
        if header:
            message["X-Reply"] = header
        message.set_content("rows loaded")
        options = {"hostname": "127.0.0.1", "port": port, "timeout": 3, "start_tls": False, **options}
        return _run(lambda: aiosmtplib.send(message, **options))

    p = plain.port
    family.add("smtp-rcpt-450", send(p, "etl@example.com", "r450@example.com"), T, "450: try later")
    family.add("smtp-rcpt-550", send(p, "etl@example.com", "r550@example.com"), {D, C}, "550 user unknown")
    family.add("smtp-rcpt-551", send(p, "etl@example.com", "r551@example.com"), C, "551 relaying denied")
    family.add("smtp-mail-553", send(p, "m553@example.com", "ok@example.com"), C, "553 sender not owned")
    family.add("smtp-mail-421", send(p, "m421@example.com", "ok@example.com"), T, "421: try later")
    family.add("smtp-data-451", send(p, "etl@example.com", "ok@example.com", "451"), T, "451 on DATA")
    family.add("smtp-data-552", send(p, "etl@example.com", "ok@example.com", "552"), {D, C}, "552 too large")
    family.add(
        "smtp-auth-535",
        send(auth.port, "etl@example.com", "ok@example.com", username="etl", password="wrong"),
        C,
        "535 wrong credentials",
    )
    family.add(
        "smtp-no-auth",
        send(p, "etl@example.com", "ok@example.com", username="etl", password="x"),
        C,
        "AUTH configured but the server offers none",
    )
    family.add("smtp-refused", send(free_port(), "etl@example.com", "ok@example.com"), T, "nothing listens")
    silent = serve(closing, SilentPort())
    family.add(
        "smtp-timeout", send(silent.port, "etl@example.com", "ok@example.com", timeout=0.2), T, "no greeting"
    )
    busy = serve(closing, LineServer(b"421 4.3.2 Service shutting down\r\n"))
    family.add("smtp-greeting-421", send(busy.port, "etl@example.com", "ok@example.com"), T, "421 greeting")
    family.add(
        "smtp-starttls",
        send(p, "etl@example.com", "ok@example.com", start_tls=True),
        C,
        "STARTTLS required by the settings, not offered by the server",
    )


def _sqlite_cases(family: Family, tmp: Path) -> None:
    path = tmp / "aiosqlite.db"

    async def setup() -> None:
        async with aiosqlite.connect(path) as db:
            await db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)")
            await db.execute("INSERT INTO orders VALUES (1, 3)")
            await db.commit()

    asyncio.run(setup())

    def sql(statement: str, *, uri: str | None = None) -> Callable[[], Any]:
        async def run() -> None:
            target = uri or str(path)
            async with aiosqlite.connect(target, uri=uri is not None, timeout=0) as db:
                await db.execute(statement)
                await db.commit()

        return _run(run)

    family.add("sqlite-no-table", sql("SELECT * FROM customers"), C, "no such table")
    family.add("sqlite-unique", sql("INSERT INTO orders VALUES (1, 4)"), D, "a duplicate key")
    family.add(
        "sqlite-not-null", sql("INSERT INTO orders VALUES (2, NULL)"), D, "a NULL in a NOT NULL column"
    )
    family.add(
        "sqlite-readonly", sql("DELETE FROM orders", uri=f"file:{path}?mode=ro"), C, "a read-only database"
    )
    family.add("sqlite-syntax", sql("SELEC * FROM orders"), C, "an SQL syntax error")

    async def locked() -> None:
        async with aiosqlite.connect(path) as holder:
            await holder.execute("BEGIN EXCLUSIVE")
            async with aiosqlite.connect(path, timeout=0) as db:
                await db.execute("INSERT INTO orders VALUES (9, 1)")

    family.add("sqlite-locked", _run(locked), T, "another connection holds the write lock")

    async def closed() -> None:
        db = await aiosqlite.connect(path)
        await db.close()
        await db.execute("SELECT 1")

    family.add("sqlite-closed", _run(closed), {C, S, T}, "a connection used after it closed")


def _anyio_cases(family: Family, closing: list[Any]) -> None:  # noqa: PLR0915 (one statement per case)
    silent = serve(closing, SilentPort())

    async def deadline() -> None:
        with anyio.fail_after(0.05):
            stream = await anyio.connect_tcp("127.0.0.1", silent.port)
            await stream.receive()

    family.add("anyio-fail-after", lambda: anyio.run(deadline), T, "a deadline expired waiting for a reply")
    refused_port = free_port()
    family.add(
        "anyio-refused", lambda: anyio.run(anyio.connect_tcp, "127.0.0.1", refused_port), T, "nothing listens"
    )

    async def group() -> None:
        async def fetch() -> None:
            await anyio.connect_tcp("127.0.0.1", refused_port)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(fetch)
            tasks.start_soon(fetch)

    family.add("anyio-group-refused", lambda: anyio.run(group), T, "every child hit a refused connection")

    async def mixed_group() -> None:
        async def parse() -> None:
            int("12,5")

        async def fetch() -> None:
            await anyio.connect_tcp("127.0.0.1", refused_port)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(parse)
            tasks.start_soon(fetch)

    family.add(
        "anyio-group-mixed", lambda: anyio.run(mixed_group), {D, T}, "a bad value and a refused connect"
    )

    async def broken() -> None:
        send, receive = anyio.create_memory_object_stream[int](1)
        await receive.aclose()
        await send.send(1)

    family.add("anyio-broken", lambda: anyio.run(broken), {T, S}, "the consumer side of a stream went away")

    async def closed() -> None:
        send, _receive = anyio.create_memory_object_stream[int](1)
        await send.aclose()
        await send.send(1)

    family.add("anyio-closed", lambda: anyio.run(closed), {C, S}, "a stream used after the task closed it")

    async def end() -> None:
        send, receive = anyio.create_memory_object_stream[int](1)
        await send.aclose()
        await receive.receive()

    family.add("anyio-end-of-stream", lambda: anyio.run(end), {T, S}, "the producer finished early")
    plain = serve(closing, LineServer(b"220 not TLS\r\n"))
    family.add(
        "anyio-tls-plain",
        lambda: anyio.run(lambda: anyio.connect_tcp("127.0.0.1", plain.port, tls=True)),
        {C, T},
        "TLS to a plain-text port",
    )

    async def incomplete() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", plain.port)
        try:
            await reader.readexactly(1024)
        finally:
            writer.close()

    family.add("asyncio-incomplete", _run(incomplete), T, "the peer closed mid-message")

    async def overrun() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", plain.port, limit=4)
        try:
            await reader.readuntil(b"\r\n")
        finally:
            writer.close()

    family.add("asyncio-limit", _run(overrun), {D, C}, "a line longer than the reader's limit")


def _process_cases(family: Family) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    family.add("psutil-gone", lambda: psutil.Process(child.pid).cmdline(), {T, S}, "the process exited")
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)
        family.add(
            "psutil-zombie",
            lambda: psutil.Process(zombie.pid).cwd(),
            {T, S},
            "the process exited, not yet reaped",
        )
    finally:
        zombie.wait()
    family.add("psutil-pid", lambda: psutil.Process(-1), {C, D}, "a negative pid: a wrong value")
