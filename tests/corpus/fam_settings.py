"""
A fifth wave, measured before any change for it: settings the clients reject before any traffic
(timeouts, ports, TLS modes, connection options, keyword arguments, certificate files) in the
socket module, psycopg2, psycopg, asyncpg, PyMySQL, redis-py, requests, httpx, pika, kombu,
smtplib, SQLAlchemy, ssl and asyncio. Every one is configuration: many mention "timeout" or
"connection" and must never read as a timeout or a dropped connection.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import socket
import ssl
from typing import Any

import asyncpg
import httpx
import kombu
import pika
import psycopg
import psycopg2
import pymysql
import redis
import requests
import sqlalchemy as sa

from tests.corpus.model import C, Family

PG_HOST = "host=127.0.0.1 user=postgres dbname=postgres"
PG = os.environ.get("ERRORGUARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _async(coro: Any) -> Any:
    return lambda: asyncio.run(coro())


def build(family: Family, closing: list[Any]) -> None:
    family.add("socket-timeout", lambda: socket.socket().settimeout(-1), C, "a negative socket timeout")
    family.add(
        "psycopg2-connect-timeout-value",
        lambda: psycopg2.connect(f"{PG_HOST} connect_timeout=abc"),
        C,
        "connect_timeout is not a number",
    )
    family.add("psycopg2-option", lambda: psycopg2.connect(f"{PG_HOST} foo=bar"), C, "an unknown option")
    family.add("psycopg2-sslmode", lambda: psycopg2.connect(f"{PG_HOST} sslmode=verify"), C, "a bad sslmode")
    family.add(
        "psycopg2-port", lambda: psycopg2.connect(f"{PG_HOST} port=abc"), C, "a port that is no number"
    )
    family.add("psycopg2-dsn", lambda: psycopg2.connect(f"{PG_HOST} sslcert"), C, "a malformed DSN")
    family.add(
        "psycopg-connect-timeout-value",
        lambda: psycopg.connect(f"{PG_HOST} connect_timeout=abc"),
        C,
        "connect_timeout is not a number",
    )
    family.add(
        "psycopg-uri-port",
        lambda: psycopg.connect("postgresql://u@127.0.0.1:abc/d"),
        C,
        "a bad port in a URI",
    )

    async def asyncpg_port() -> None:
        await asyncpg.connect("postgresql://u@127.0.0.1:abc/d")

    async def asyncpg_ssl() -> None:
        await asyncpg.connect(PG + "?sslmode=require", timeout=5)

    async def asyncpg_command_timeout() -> None:
        await asyncpg.connect(PG, command_timeout=-1, timeout=5)

    family.add("asyncpg-port", _async(asyncpg_port), C, "a bad port in the URL")
    family.add("asyncpg-ssl-required", _async(asyncpg_ssl), C, "sslmode=require against a server without TLS")
    family.add("asyncpg-command-timeout", _async(asyncpg_command_timeout), C, "a negative command_timeout")
    family.add(
        "pymysql-port", lambda: pymysql.connect(host="127.0.0.1", port="abc"), C, "a port that is no number"
    )
    family.add(
        "redis-url-port", lambda: redis.Redis.from_url("redis://127.0.0.1:abc/0").ping(), C, "a bad port"
    )
    family.add("redis-timeout", lambda: redis.Redis(socket_timeout=-1).ping(), C, "a negative socket_timeout")
    family.add(
        "requests-timeout-type",
        lambda: requests.get("http://127.0.0.1:1/", timeout="abc"),
        C,
        "a timeout that is no number",
    )
    family.add(
        "httpx-timeout",
        lambda: httpx.get("http://127.0.0.1:1/", timeout=httpx.Timeout(-1)),
        C,
        "a negative timeout",
    )
    family.add(
        "pika-url-port",
        lambda: pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:abc/")),
        C,
        "a bad port in the AMQP URL",
    )
    family.add("pika-heartbeat", lambda: pika.ConnectionParameters(heartbeat=-1), C, "a negative heartbeat")
    family.add(
        "pika-socket-timeout",
        lambda: pika.ConnectionParameters(socket_timeout=-5),
        C,
        "a negative socket_timeout",
    )

    def kombu_timeout() -> None:
        with kombu.Connection("amqp://guest:guest@127.0.0.1:5672//", connect_timeout=-1) as conn:
            conn.connect()

    family.add("kombu-connect-timeout", kombu_timeout, C, "a negative connect_timeout")
    family.add(
        "smtp-timeout-zero", lambda: smtplib.SMTP("127.0.0.1", 1, timeout=0), C, "timeout=0 (non-blocking)"
    )
    family.add(
        "sqlalchemy-kwarg",
        lambda: sa.create_engine("postgresql+psycopg2://u@h/d", nonsense_arg=1),
        C,
        "a create_engine() argument the dialect does not take",
    )
    family.add(
        "ssl-bad-pem",
        lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain("/etc/hostname"),
        C,
        "a client certificate path that is not a PEM file",
    )

    async def wait_for_string() -> None:
        pause = asyncio.sleep(0)
        try:
            await asyncio.wait_for(pause, timeout="30")  # type: ignore[arg-type]
        finally:
            pause.close()  # wait_for rejects the timeout before it awaits the coroutine

    family.add(
        "asyncio-timeout-type", _async(wait_for_string), C, "a timeout read from a setting as a string"
    )
