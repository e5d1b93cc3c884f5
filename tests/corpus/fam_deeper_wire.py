"""A deeper wave of wire-protocol errors raised live: redis-py against the Redis on 127.0.0.1:6379
(throwaway keys), and pika / py-amqp / kombu against the RabbitMQ on 127.0.0.1:5672 (throwaway
queues), in cases the first wave does not have: transactions, streams, overflows, broker-side
refusals of declarations and publishes, a peer that is not a broker."""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

import amqp
import kombu
import pika
import pika.exceptions
import redis

from tests.corpus.fam_amqp import HOST, PORT, _params
from tests.corpus.model import C, D, Family, S, ServiceMissing, T
from tests.corpus.rawservers import RawServer, serve

REDIS_PORT = 6379


def build(family: Family, closing: list[Any]) -> None:
    _redis_cases(family, closing)
    _amqp_cases(family, closing)


def _redis_cases(family: Family, closing: list[Any]) -> None:
    shared = redis.Redis(port=REDIS_PORT, socket_timeout=5)
    try:
        shared.ping()
    except redis.RedisError as exc:
        raise ServiceMissing(f"Redis at 127.0.0.1:{REDIS_PORT}", exc) from exc
    key = f"errorguard-deep-{secrets.token_hex(4)}"
    shared.set(f"{key}-max", 2**63 - 1)
    shared.set(f"{key}-text", "abc")
    shared.rpush(f"{key}-list", "a")
    shared.xadd(f"{key}-stream", {"a": "1"}, id="5-0")
    shared.xgroup_create(f"{key}-stream", "workers", id="0")
    closing.append(shared.close)
    closing.append(lambda: shared.delete(*[f"{key}-{s}" for s in ("max", "text", "list", "stream", "w")]))

    def exec_abort() -> None:
        with shared.pipeline(transaction=True) as pipe:
            pipe.set(f"{key}-w", 1)
            pipe.execute_command("NO_SUCH_COMMAND_EG")
            pipe.execute()

    def watch_conflict() -> None:
        with shared.pipeline() as pipe:
            pipe.watch(f"{key}-w")
            shared.set(f"{key}-w", "changed by another client")
            pipe.multi()
            pipe.set(f"{key}-w", "mine")
            pipe.execute()

    def pubsub_context() -> None:
        conn = redis.Redis(port=REDIS_PORT, socket_timeout=5, protocol=2)
        try:
            pubsub_conn = conn.connection_pool.get_connection()
            pubsub_conn.send_command("SUBSCRIBE", f"{key}-chan")
            pubsub_conn.read_response()
            pubsub_conn.send_command("GET", f"{key}-text")
            pubsub_conn.read_response()
        finally:
            conn.connection_pool.disconnect()
            conn.close()

    for name, run, accept, why in (
        (
            "execabort",
            exec_abort,
            C,
            "EXECABORT: a command in MULTI was wrong, the transaction was discarded",
        ),
        ("watch-conflict", watch_conflict, T, "WatchError: another client changed a watched key: rerun"),
        ("incr-overflow", lambda: shared.incr(f"{key}-max"), D, "increment would overflow: the stored value"),
        ("not-a-float", lambda: shared.incrbyfloat(f"{key}-text", 1.5), D, "value is not a valid float"),
        ("rename-missing", lambda: shared.rename(f"{key}-none", f"{key}-x"), {D, C}, "ERR no such key"),
        ("lset-range", lambda: shared.lset(f"{key}-list", 99, "x"), D, "ERR index out of range"),
        (
            "busygroup",
            lambda: shared.xgroup_create(f"{key}-stream", "workers", id="0"),
            {C, D},
            "BUSYGROUP: the consumer group exists: setup code ran twice, not a passing state",
        ),
        (
            "xadd-id",
            lambda: shared.xadd(f"{key}-stream", {"a": "2"}, id="1-0"),
            D,
            "XADD ID not above the top",
        ),
        ("bit-offset", lambda: shared.setbit(f"{key}-text", -1, 1), D, "bit offset out of range"),
        ("pubsub-context", pubsub_context, C, "a plain command on a subscribed connection: client misuse"),
        ("noproto", lambda: shared.execute_command("HELLO", 9), C, "NOPROTO: unsupported protocol version"),
        (
            "unix-socket-missing",
            lambda: redis.Redis(unix_socket_path=f"/tmp/{key}.sock", socket_timeout=2).ping(),
            {C, T},
            "ENOENT on the unix socket: a wrong path, or the server is not up",
        ),
    ):
        family.add(f"redis-{name}", run, accept, why)


def _amqp_cases(family: Family, closing: list[Any]) -> None:
    try:
        pika.BlockingConnection(_params("errorguard-deep-probe")).close()
    except pika.exceptions.AMQPError as exc:
        raise ServiceMissing(f"RabbitMQ at {HOST}:{PORT}", exc) from exc
    prefix = f"errorguard-deep-{secrets.token_hex(4)}"

    def on_channel(action: Any) -> Any:
        def run() -> None:
            conn = pika.BlockingConnection(_params(prefix))
            try:
                action(conn.channel())
            finally:
                with contextlib.suppress(Exception):
                    conn.close()

        return run

    def reject_publish(ch: Any) -> None:
        args = {"x-max-length": 1, "x-overflow": "reject-publish"}
        ch.queue_declare(f"{prefix}-full", auto_delete=True, arguments=args)
        ch.confirm_delivery()
        for _ in range(2):
            ch.basic_publish("", f"{prefix}-full", b"x")

    def unroutable(ch: Any) -> None:
        ch.confirm_delivery()
        ch.basic_publish("amq.direct", f"{prefix}-nobody", b"x", mandatory=True)

    def py_amqp(action: Any, **overrides: Any) -> Any:
        def run() -> None:
            conn = amqp.Connection(f"{HOST}:{PORT}", connect_timeout=5, **overrides)
            try:
                conn.connect()
                action(conn, conn.channel())
            finally:
                with contextlib.suppress(Exception):
                    conn.close()

        return run

    def locked(conn: Any, ch: Any) -> None:
        owner = amqp.Connection(f"{HOST}:{PORT}", connect_timeout=5)
        owner.connect()
        try:
            owner.channel().queue_declare(f"{prefix}-excl", exclusive=True)
            ch.queue_declare(f"{prefix}-excl", passive=True)
        finally:
            owner.close()

    def kombu_missing_exchange() -> None:
        with kombu.Connection(f"amqp://guest:guest@{HOST}:{PORT}//", connect_timeout=5) as conn:
            exchange = kombu.Exchange(f"{prefix}-nowhere", type="direct")
            with conn.channel() as channel:
                producer = kombu.Producer(channel, exchange=exchange, auto_declare=False)
                producer.publish(b"x", routing_key="k")
                channel.basic_qos(0, 1, False)  # the broker's 404 arrives on the next round trip

    not_a_broker = serve(closing, RawServer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
    for name, run, accept, why in (
        (
            "pika-unknown-exchange-type",
            on_channel(lambda ch: ch.exchange_declare(f"{prefix}-x", exchange_type="x-no-such-type")),
            C,
            "503 COMMAND_INVALID: unknown exchange type (a plugin not enabled, a typo)",
        ),
        (
            "pika-bad-queue-arg",
            on_channel(lambda ch: ch.queue_declare(f"{prefix}-q", arguments={"x-max-length": "lots"})),
            C,
            "406 PRECONDITION_FAILED: invalid queue argument",
        ),
        (
            "pika-delete-default-exchange",
            on_channel(lambda ch: ch.exchange_delete("amq.direct")),
            C,
            "403 ACCESS_REFUSED: a built-in exchange cannot be deleted",
        ),
        (
            "pika-queue-full-nack",
            on_channel(reject_publish),
            {T, S},
            "the broker nacked: queue at max-length",
        ),
        (
            "pika-unroutable",
            on_channel(unroutable),
            C,
            "a mandatory message no queue is bound for: routing setup",
        ),
        (
            "pika-not-a-broker",
            lambda: pika.BlockingConnection(_params(prefix, port=not_a_broker.port)).close(),
            {C, T},
            "the peer is not an AMQP broker (a wrong port) or hung up",
        ),
        ("amqp-405-locked", py_amqp(locked), T, "405 RESOURCE_LOCKED: another connection owns the queue"),
        (
            "amqp-406-bad-ack",
            py_amqp(lambda conn, ch: (ch.basic_ack(999), ch.basic_qos(0, 1, False))),
            C,
            "406 PRECONDITION_FAILED unknown delivery tag: a consumer bug",
        ),
        ("amqp-bad-password", py_amqp(lambda c, ch: None, password="wrong"), C, "403 ACCESS_REFUSED login"),
        (
            "amqp-missing-vhost",
            py_amqp(lambda c, ch: None, virtual_host="/nope-eg"),
            C,
            "530 NOT_ALLOWED vhost",
        ),
        (
            "kombu-missing-exchange",
            kombu_missing_exchange,
            C,
            "404 NOT_FOUND: publishing to a missing exchange",
        ),
    ):
        family.add(name, run, accept, why)
