"""
A third wave, measured before any change for it: standard-library configuration readers
(``logging.config``, ``configparser``, ``re``, ``importlib.metadata``), string formatting and
archive look-ups on a record, SQLite limits, PostgreSQL errors the ``postgres`` family does not raise
(encoding, idle-in-transaction timeout, unknown function, lock timeout), a WebSocket handshake
against a plain HTTP endpoint, an SMTP client greeted by an HTTP server.
"""

from __future__ import annotations

import asyncio
import configparser
import datetime
import email.headerregistry
import importlib.metadata
import io
import json
import logging.config
import os
import re
import secrets
import smtplib
import sqlite3
import string
import time
import urllib.parse
import zipfile
from typing import Any

import aiohttp
import psycopg2

from tests.corpus.model import C, D, Family, S, ServiceMissing, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import ScriptedHTTP

PG = os.environ.get("ERRORGUARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _stdlib(family: Family) -> None:
    family.add(
        "logging-dictconfig",
        lambda: logging.config.dictConfig({"version": 2}),
        C,
        "a logging configuration with an unsupported version",
    )
    family.add(
        "re-compile", lambda: re.compile("([a-z]+"), {C, D}, "a bad regular expression (setting or value)"
    )
    parser = configparser.ConfigParser()
    family.add("configparser-section", lambda: parser.get("partner", "url"), C, "a missing config section")
    family.add(
        "configparser-header", lambda: parser.read_string("url = x"), C, "a config file without sections"
    )
    family.add(
        "package-not-found",
        lambda: importlib.metadata.version("no-such-dist-c13"),
        C,
        "a distribution that is not installed",
    )
    family.add(
        "fromtimestamp", lambda: datetime.datetime.fromtimestamp(1e20), D, "an epoch value out of range"
    )
    family.add("json-of-none", lambda: json.loads(None), D, "a null where a JSON document was expected")  # type: ignore[arg-type]
    archive = io.BytesIO()
    zipfile.ZipFile(archive, "w").close()
    family.add(
        "zip-member-missing",
        lambda: zipfile.ZipFile(archive).read("orders.csv"),
        {D, C},
        "a member not there",
    )
    family.add("url-ipv6", lambda: urllib.parse.urlsplit("http://[::1/x"), {C, D}, "a malformed URL")
    family.add("format-key", lambda: "{customer_id}".format(**{}), {C, D}, "a placeholder without a value")
    family.add(
        "template-key",
        lambda: string.Template("$table").substitute({}),
        {C, D},
        "a placeholder without a value",
    )
    family.add(
        "email-address",
        lambda: email.headerregistry.Address(addr_spec="not an address"),
        D,
        "an e-mail address in a record that does not parse",
    )


def _sqlite(family: Family, closing: list[Any]) -> None:
    db = sqlite3.connect(":memory:")
    closing.append(db.close)
    db.execute("CREATE TABLE t (x)")
    db.execute("PRAGMA max_page_count = 1")
    family.add(
        "sqlite-full",
        lambda: db.execute("INSERT INTO t VALUES (randomblob(100000))"),
        S,
        "SQLITE_FULL: database or disk is full",
    )
    family.add("sqlite-no-function", lambda: db.execute("SELECT no_such_fn(1)"), C, "an unknown SQL function")


def _postgres(family: Family, closing: list[Any]) -> None:
    def connect() -> Any:
        conn = psycopg2.connect(PG, connect_timeout=5)
        closing.append(conn.close)
        return conn

    try:
        connect()
    except psycopg2.OperationalError as exc:
        raise ServiceMissing("PostgreSQL", exc) from exc

    def run(*statements: str, sleep: float = 0) -> Any:
        def go() -> None:
            cur = connect().cursor()
            for statement in statements[:-1]:
                cur.execute(statement)
            time.sleep(sleep)
            cur.execute(statements[-1])

        return go

    family.add(
        "pg-idle-timeout",
        run("SET idle_in_transaction_session_timeout = 50", "SELECT 1", "SELECT 1", sleep=0.3),
        T,
        "the session sat idle in a transaction past its timeout",
    )
    family.add(
        "pg-encoding", run("SELECT convert_from('\\xff'::bytea, 'UTF8')"), D, "22021: bytes not valid UTF-8"
    )
    family.add("pg-no-function", run("SELECT no_such_fn(1)"), C, "42883: the function does not exist")
    family.add("pg-date-overflow", run("SELECT '2026-02-30'::date"), D, "22008: a date out of range")
    family.add(
        "pg-read-only",
        run("SET TRANSACTION READ ONLY", "CREATE TEMP TABLE x (a int)"),
        {C, T},
        "25006: a write in a read-only transaction (a replica, or a failover)",
    )
    # An advisory lock is server-wide: a key of this run's own, so that concurrent corpus runs
    # (worktrees, CI beside a developer) do not queue behind each other's holder.
    key = 4_000_000_000 + secrets.randbelow(1_000_000_000)
    holder = connect()
    holder.cursor().execute(f"SELECT pg_advisory_lock({key})")
    family.add(
        "pg-lock-timeout",
        run("SET lock_timeout = 50", f"SELECT pg_advisory_lock({key})"),
        T,
        "55P03: a lock held elsewhere",
    )


def build(family: Family, closing: list[Any]) -> None:
    _stdlib(family)
    _sqlite(family, closing)
    _postgres(family, closing)
    web = serve(closing, ScriptedHTTP())

    async def websocket() -> None:
        async with aiohttp.ClientSession() as session:
            await session.ws_connect(web.url("/events"))

    family.add(
        "aiohttp-websocket-handshake",
        lambda: asyncio.run(websocket()),
        C,
        "a WebSocket client pointed at an endpoint that is not one",
    )
    family.add(
        "smtp-greeted-by-http",
        lambda: smtplib.SMTP("127.0.0.1", web.port, timeout=0.5),
        {C, T},
        "the SMTP port answers nothing an SMTP client understands (a wrong port, or a hung server)",
    )
