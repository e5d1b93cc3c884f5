"""A wave of database, cache and streaming clients the earlier waves do not use, raised live:
asyncmy against MariaDB, valkey against Redis, psycopg_pool's asyncio pool against PostgreSQL,
aiormq against RabbitMQ, pymemcache against scripted memcached peers, and oracledb (thin), neo4j,
aiokafka and python-tds against closed ports and ports speaking another protocol."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

import aiokafka
import aiormq
import asyncmy
import neo4j
import oracledb
import psycopg_pool
import pymemcache.client.base
import pytds
import valkey

from tests.corpus.fam_amqp import HOST as AMQP_HOST
from tests.corpus.fam_amqp import PORT as AMQP_PORT
from tests.corpus.fam_mysql import admin_connection as mysql_admin
from tests.corpus.fam_redis import SHARED_PORT
from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import SilentPort, serve
from tests.corpus.servers import LineServer, free_port, pg_database

#: Open ports of other services, for the clients that speak another protocol: PostgreSQL waits for
#: the client to speak; NATS greets first (its ``INFO`` line), which a MySQL client reads instead
#: of a handshake.
PG_PORT, NATS_PORT = 5432, 4222


def _sync(make: Callable[[], Coroutine[Any, Any, Any]]) -> Callable[[], Any]:
    return lambda: asyncio.run(make())


def build(family: Family, closing: list[Any]) -> None:
    silent = serve(closing, SilentPort())
    _asyncmy_cases(family, closing)
    _valkey_cases(family, silent.port)
    _pool_cases(family, closing)
    _aiormq_cases(family)
    _memcache_cases(family, closing, silent.port)
    _wire_only_cases(family, silent.port)


def _asyncmy_cases(family: Family, closing: list[Any]) -> None:
    admin, server = mysql_admin()
    db = f"errorguard_corpus_{secrets.token_hex(4)}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{db}`")
        cur.execute(f"CREATE TABLE `{db}`.parent (id INT PRIMARY KEY, qty SMALLINT NOT NULL)")
        cur.execute(f"INSERT INTO `{db}`.parent VALUES (1, 1)")

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        admin.close()

    closing.append(drop)
    base = {k: server[k] for k in ("host", "port", "user", "password")}

    def run(statement: str, **overrides: Any) -> Callable[[], Any]:
        async def go() -> None:
            conn = await asyncmy.connect(**{**base, "db": db, "connect_timeout": 3, **overrides})
            try:
                async with conn.cursor() as cur:
                    await cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
                    await cur.execute(statement)
            finally:
                conn.close()

        return _sync(go)

    for name, raiser, accept, why in (
        ("duplicate", run("INSERT INTO parent VALUES (1, 2)"), D, "1062 duplicate key"),
        ("not-null", run("INSERT INTO parent VALUES (2, NULL)"), D, "1048 column cannot be null"),
        ("out-of-range", run("INSERT INTO parent VALUES (3, 99999)"), D, "1264 out of range value"),
        ("syntax", run("SELEC 1"), C, "1064 syntax error in the SQL"),
        ("no-table", run("SELECT * FROM missing_table"), C, "1146 table does not exist"),
        ("unknown-db", run("SELECT 1", db="no_such_db_eg"), C, "1049 unknown database"),
        ("bad-password", run("SELECT 1", user="nobody_eg", password="x"), C, "1045 access denied"),
        ("refused", run("SELECT 1", port=free_port()), T, "2003 can't connect: refused"),
        ("not-mysql", run("SELECT 1", port=NATS_PORT), {C, T}, "the port speaks NATS"),
    ):
        family.add(f"asyncmy-{name}", raiser, accept, f"asyncmy: {why}")


def _valkey_cases(family: Family, silent_port: int) -> None:
    key = f"errorguard_corpus_{secrets.token_hex(4)}"

    def call(port: int, *command: Any, **options: Any) -> Callable[[], Any]:
        def go() -> None:
            client = valkey.Valkey(port=port, socket_timeout=1, socket_connect_timeout=1, **options)
            try:
                client.execute_command(*command)
            finally:
                client.close()

        return go

    setup = valkey.Valkey(port=SHARED_PORT)
    setup.set(key, "text", ex=60)
    setup.close()
    for name, raiser, accept, why in (
        ("wrongtype", call(SHARED_PORT, "LPUSH", key, "x"), {C, D}, "WRONGTYPE: the key holds a string"),
        ("not-integer", call(SHARED_PORT, "INCR", key), D, "the value is not an integer"),
        ("unknown-command", call(SHARED_PORT, "NO_SUCH_CMD_EG"), C, "unknown command"),
        ("auth", call(SHARED_PORT, "PING", password="wrong"), C, "AUTH with no password configured"),
        ("refused", call(free_port(), "PING"), T, "connection refused"),
        ("timeout", call(silent_port, "PING"), T, "the peer never answers: read timed out"),
        ("not-redis", call(PG_PORT, "PING"), {C, T}, "the port speaks PostgreSQL"),
    ):
        family.add(f"valkey-{name}", raiser, accept, f"valkey: {why}")


def _pool_cases(family: Family, closing: list[Any]) -> None:
    dbname, server = pg_database(closing, "errorguard_corpus_pool")
    dsn = f"host={server['host']} port={server['port']} user={server['user']} dbname={dbname}"

    def exhausted() -> Coroutine[Any, Any, Any]:
        async def go() -> None:
            async with psycopg_pool.AsyncConnectionPool(dsn, min_size=1, max_size=1, open=False) as pool:
                await pool.open(wait=True, timeout=5)
                async with pool.connection(), pool.connection(timeout=0.2):
                    pass

        return go()

    def never_ready(conninfo: str) -> Callable[[], Coroutine[Any, Any, Any]]:
        async def go() -> None:
            pool = psycopg_pool.AsyncConnectionPool(conninfo, min_size=1, open=False, reconnect_timeout=0.5)
            try:
                await pool.open(wait=True, timeout=0.5)
            finally:
                await pool.close(timeout=0.5)

        return go

    def query(statement: str) -> Callable[[], Coroutine[Any, Any, Any]]:
        async def go() -> None:
            async with psycopg_pool.AsyncConnectionPool(dsn, min_size=1, open=False) as pool:
                await pool.open(wait=True, timeout=5)
                async with pool.connection() as conn:
                    await conn.execute(statement)

        return go

    refused = f"host=127.0.0.1 port={free_port()} user=postgres connect_timeout=1"
    for name, raiser, accept, why in (
        ("exhausted", _sync(exhausted), T, "PoolTimeout: every connection is checked out"),
        ("refused", _sync(never_ready(refused)), T, "the pool never fills: nothing listens"),
        (
            "bad-dsn",
            _sync(never_ready("host=127.0.0.1 port=notaport ===")),
            {C, T},
            "malformed conninfo, but the pool only logs it and raises the PoolTimeout a refused "
            "server gets: nothing in the exception tells them apart",
        ),
        ("div-zero", _sync(query("SELECT 1/0")), D, "22012 division by zero"),
        ("no-table", _sync(query("SELECT * FROM missing_table_eg")), C, "42P01 undefined table"),
    ):
        family.add(f"pgpool-async-{name}", raiser, accept, f"psycopg_pool AsyncConnectionPool: {why}")


def _aiormq_cases(family: Family) -> None:
    queue = f"errorguard_corpus_{secrets.token_hex(4)}"

    def url(password: str = "guest", vhost: str = "", port: int = AMQP_PORT) -> str:
        return f"amqp://guest:{password}@{AMQP_HOST}:{port}/{vhost}"

    def channel_op(op: Callable[[Any], Coroutine[Any, Any, Any]], **url_options: Any) -> Callable[[], Any]:
        async def go() -> None:
            conn = await asyncio.wait_for(aiormq.connect(url(**url_options)), 5)
            try:
                channel = await conn.channel()
                await op(channel)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()

        return _sync(go)

    async def connect_only(channel: Any) -> None:
        return None

    async def passive(channel: Any) -> None:
        await channel.queue_declare(f"{queue}_missing", passive=True)

    async def reserved(channel: Any) -> None:
        await channel.queue_declare("amq.errorguard_corpus")

    async def redeclare(channel: Any) -> None:
        await channel.queue_declare(queue, auto_delete=True)
        await channel.queue_declare(queue, auto_delete=True, arguments={"x-max-length": 5})

    async def no_exchange(channel: Any) -> None:
        await channel.exchange_declare(f"{queue}_x", passive=True)

    for name, raiser, accept, why in (
        ("bad-password", channel_op(connect_only, password="wrong"), C, "ACCESS_REFUSED on login"),
        ("unknown-vhost", channel_op(connect_only, vhost="no_such_vhost_eg"), C, "vhost not found"),
        ("no-queue", channel_op(passive), C, "404 NOT_FOUND: passive declare of a missing queue"),
        ("no-exchange", channel_op(no_exchange), C, "404 NOT_FOUND: passive declare of a missing exchange"),
        ("reserved-name", channel_op(reserved), C, "403 ACCESS_REFUSED: amq. prefix is reserved"),
        ("redeclare", channel_op(redeclare), C, "406 PRECONDITION_FAILED: arguments differ"),
        ("refused", channel_op(connect_only, port=free_port()), T, "connection refused"),
        ("not-amqp", channel_op(connect_only, port=PG_PORT), {C, T}, "the port speaks PostgreSQL"),
    ):
        family.add(f"aiormq-{name}", raiser, accept, f"aiormq: {why}")


def _memcache_answer(reply: bytes) -> Callable[[bytes, Any], bytes]:
    def answer(line: bytes, rfile: Any) -> bytes:
        if line.split()[:1] in ([b"set"], [b"add"]):
            rfile.readline()  # the data block
        return reply

    return answer


def _memcache_cases(family: Family, closing: list[Any], silent_port: int) -> None:
    full = serve(closing, LineServer(b"", _memcache_answer(b"SERVER_ERROR out of memory storing object\r\n")))
    bad = serve(closing, LineServer(b"", _memcache_answer(b"CLIENT_ERROR bad data chunk\r\n")))

    def call(port: int, op: Callable[[Any], Any]) -> Callable[[], Any]:
        def go() -> None:
            client = pymemcache.client.base.Client(("127.0.0.1", port), connect_timeout=1, timeout=1)
            try:
                op(client)
            finally:
                client.close()

        return go

    def store(client: Any) -> Any:
        return client.set("daily", b"rows", noreply=False)

    for name, raiser, accept, why in (
        (
            "server-error",
            call(full.port, store),
            {S, T},
            "SERVER_ERROR out of memory: as Redis OOM, the server is full",
        ),
        ("client-error", call(bad.port, store), {C, D}, "CLIENT_ERROR: the request was malformed"),
        ("key-too-long", call(full.port, lambda c: c.get("k" * 300)), {C, D}, "key longer than 250 bytes"),
        ("refused", call(free_port(), store), T, "connection refused"),
        ("timeout", call(silent_port, store), T, "the peer never answers: read timed out"),
        ("not-memcached", call(SHARED_PORT, store), {C, T}, "the port speaks Redis"),
    ):
        family.add(f"memcache-{name}", raiser, accept, f"pymemcache: {why}")


def _wire_only_cases(family: Family, silent_port: int) -> None:
    """Clients with no server of their own here: closed ports, a wrong protocol, bad settings."""

    def oracle(dsn: str) -> Callable[[], Any]:
        return lambda: oracledb.connect(user="etl", password="x", dsn=dsn, tcp_connect_timeout=1)

    def bolt(uri: str, **options: Any) -> Callable[[], Any]:
        def go() -> None:
            with neo4j.GraphDatabase.driver(uri, auth=("neo4j", "x"), connection_timeout=1, **options) as d:
                d.verify_connectivity()

        return go

    def kafka(port: int) -> Callable[[], Any]:
        async def go() -> None:
            producer = aiokafka.AIOKafkaProducer(
                bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=1000
            )
            try:
                await producer.start()
            finally:
                await producer.stop()

        return _sync(go)

    def tds(port: int) -> Callable[[], Any]:
        return lambda: pytds.connect(
            "127.0.0.1", port=port, user="sa", password="x", login_timeout=1, timeout=1
        )

    closed = free_port()
    for name, raiser, accept, why in (
        ("oracle-refused", oracle(f"127.0.0.1:{closed}/FREEPDB1"), T, "DPY-6005: connection refused"),
        ("oracle-not-oracle", oracle(f"127.0.0.1:{PG_PORT}/FREEPDB1"), {C, T}, "the port speaks PostgreSQL"),
        ("oracle-bad-dsn", oracle("127.0.0.1:notaport/x("), C, "a malformed connect string"),
        ("neo4j-refused", bolt(f"bolt://127.0.0.1:{closed}"), T, "ServiceUnavailable: refused"),
        ("neo4j-not-bolt", bolt(f"bolt://127.0.0.1:{PG_PORT}"), {C, T}, "the port speaks PostgreSQL"),
        ("neo4j-bad-scheme", bolt("boltx://127.0.0.1:7687"), C, "an unsupported URI scheme"),
        ("kafka-refused", kafka(closed), T, "KafkaConnectionError: no broker reachable"),
        ("kafka-not-kafka", kafka(SHARED_PORT), {C, T}, "the port speaks Redis"),
        ("tds-refused", tds(closed), T, "connection refused"),
        ("tds-not-tds", tds(PG_PORT), {C, T}, "the port speaks PostgreSQL"),
        ("tds-timeout", tds(silent_port), T, "the peer never answers the prelogin"),
    ):
        family.add(name, raiser, accept, f"{name.split('-')[0]}: {why}")
