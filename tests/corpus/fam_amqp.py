"""AMQP: pika and kombu/py-amqp (as Celery uses them) against the RabbitMQ on 127.0.0.1:5672."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import time
from typing import Any

import amqp
import kombu
import pika

from tests.corpus.model import C, D, Family, ServiceMissing, T
from tests.corpus.servers import free_port

HOST, PORT = "127.0.0.1", int(os.environ.get("ERRORGUARD_TEST_AMQP_PORT", "5672"))


def _params(
    name: str, password: str = "guest", vhost: str = "/", port: int = PORT
) -> pika.ConnectionParameters:
    return pika.ConnectionParameters(
        HOST,
        port,
        vhost,
        pika.PlainCredentials("guest", password),
        client_properties={"connection_name": name},
        connection_attempts=1,
        socket_timeout=5,
        blocked_connection_timeout=5,
    )


def _force_close(name: str) -> None:
    """Close the connection named *name* from the broker side (reply code 320)."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise ServiceMissing("rabbitmqctl", "not on PATH")
    for _ in range(50):
        out = subprocess.run(
            [ctl, "-q", "list_connections", "pid", "client_properties"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        for line in out.splitlines():
            if name in line:
                subprocess.run(
                    [ctl, "-q", "close_connection", line.split("\t")[0], "errorguard corpus: forced close"],
                    capture_output=True,
                    check=True,
                    timeout=60,
                )
                return
        time.sleep(0.1)
    raise AssertionError(f"connection {name} not listed by rabbitmqctl")


def build(family: Family, closing: list[Any]) -> None:
    logging.getLogger("pika").setLevel(logging.WARNING)
    tag = secrets.token_hex(4)
    try:
        probe = pika.BlockingConnection(_params(f"eg-probe-{tag}"))
    except pika.exceptions.AMQPConnectionError as exc:
        raise ServiceMissing(f"RabbitMQ at {HOST}:{PORT}", exc) from exc
    queue = f"errorguard-corpus-{tag}"
    channel = probe.channel()
    channel.queue_declare(queue, durable=False, auto_delete=False)

    def cleanup() -> None:
        with pika.BlockingConnection(_params(f"eg-clean-{tag}")) as conn:
            conn.channel().queue_delete(queue)
        if probe.is_open:
            probe.close()

    closing.append(cleanup)
    refused = free_port()

    # -- pika ---------------------------------------------------------------------------------
    family.add(
        "pika-refused",
        lambda: pika.BlockingConnection(_params("x", port=refused)),
        T,
        "AMQPConnectionError whose args hold the refused socket connect: broker down",
    )
    family.add(
        "pika-bad-password",
        lambda: pika.BlockingConnection(_params("x", password="wrong")),
        C,
        "403 ACCESS_REFUSED at login: wrong credentials",
    )
    family.add(
        "pika-missing-vhost",
        lambda: pika.BlockingConnection(_params("x", vhost=f"no-such-vhost-{tag}")),
        C,
        "530 NOT_ALLOWED: the vhost does not exist",
    )

    def on_channel(action: Any) -> Any:
        def run() -> None:
            with pika.BlockingConnection(_params(f"eg-{tag}")) as conn:
                action(conn.channel())

        return run

    family.add(
        "pika-queue-404",
        on_channel(lambda ch: ch.queue_declare(f"missing-{tag}", passive=True)),
        C,
        "404 NOT_FOUND: the queue does not exist (topology not declared)",
    )
    family.add(
        "pika-exchange-404",
        on_channel(lambda ch: ch.exchange_declare(f"missing-{tag}", passive=True)),
        C,
        "404 NOT_FOUND: the exchange does not exist",
    )
    family.add(
        "pika-406-redeclare",
        on_channel(lambda ch: ch.queue_declare(queue, durable=True)),
        C,
        "406 PRECONDITION_FAILED: queue re-declared with other arguments (settings disagree)",
    )
    family.add(
        "pika-403-reserved-name",
        on_channel(lambda ch: ch.queue_declare(f"amq.corpus-{tag}")),
        C,
        "403 ACCESS_REFUSED: reserved queue name",
    )
    family.add(
        "pika-406-unknown-tag",
        on_channel(lambda ch: (ch.basic_ack(delivery_tag=999), ch.queue_declare(queue, passive=True))),
        {C, D},
        "406 unknown delivery tag: a client bug, never transient",
    )

    exclusive = f"errorguard-corpus-exclusive-{tag}"
    owner = pika.BlockingConnection(_params(f"eg-owner-{tag}"))
    owner.channel().queue_declare(exclusive, exclusive=True)
    family.add(
        "pika-405-locked",
        on_channel(lambda ch: ch.queue_declare(exclusive)),
        {T, C},
        "405 RESOURCE_LOCKED: another connection holds the exclusive queue",
    )
    owner.close()
    family.add(
        "pika-publish-404",
        on_channel(
            lambda ch: (ch.basic_publish(f"missing-{tag}", "rk", b"x"), ch.queue_declare(queue, passive=True))
        ),
        C,
        "publishing to an exchange that does not exist closes the channel with 404",
    )
    family.add(
        "pika-closed-channel",
        on_channel(lambda ch: (ch.close(), ch.basic_publish("", queue, b"x"))),
        C,
        "ChannelWrongStateError: the code uses a closed channel",
    )

    def pika_forced() -> None:
        name = f"eg-forced-{tag}"
        conn = pika.BlockingConnection(_params(name))
        try:
            _force_close(name)
            conn.process_data_events(time_limit=5)
            conn.process_data_events(time_limit=5)
        finally:
            if conn.is_open:
                conn.close()

    family.add("pika-320-forced", pika_forced, T, "320 CONNECTION_FORCED: the broker closed the connection")
    _kombu_cases(family, tag, queue, refused)


def _kombu_cases(family: Family, tag: str, queue: str, refused: int) -> None:
    """The same failures through kombu and py-amqp, as Celery meets them."""

    def kombu_url(password: str = "guest", vhost: str = "", port: int = PORT) -> str:
        return f"amqp://guest:{password}@{HOST}:{port}/{vhost}"

    def kombu_connect(url: str) -> None:
        with kombu.Connection(url, connect_timeout=5) as conn:
            conn.connect()

    family.add(
        "kombu-refused",
        lambda: kombu_connect(kombu_url(port=refused)),
        T,
        "kombu OperationalError wrapping ECONNREFUSED: broker down",
    )
    family.add(
        "kombu-bad-password",
        lambda: kombu_connect(kombu_url(password="wrong")),
        C,
        "403 ACCESS_REFUSED: wrong credentials",
    )
    family.add(
        "kombu-missing-vhost",
        lambda: kombu_connect(kombu_url(vhost=f"no-such-vhost-{tag}")),
        C,
        "530 NOT_ALLOWED: the vhost does not exist",
    )

    def amqp_channel(action: Any) -> Any:
        def run() -> None:
            conn = amqp.Connection(f"{HOST}:{PORT}", userid="guest", password="guest", connect_timeout=5)
            conn.connect()
            try:
                action(conn.channel())
            finally:
                conn.collect()

        return run

    family.add(
        "amqp-queue-404",
        amqp_channel(lambda ch: ch.queue_declare(f"missing-{tag}", passive=True)),
        C,
        "amqp NotFound 404: the queue does not exist",
    )
    family.add(
        "amqp-406-redeclare",
        amqp_channel(lambda ch: ch.queue_declare(queue, durable=True, auto_delete=False)),
        C,
        "amqp PreconditionFailed 406: declared with other arguments",
    )
    family.add(
        "amqp-403-reserved",
        amqp_channel(lambda ch: ch.queue_declare(f"amq.corpus-{tag}")),
        C,
        "amqp AccessRefused 403: reserved name",
    )

    def amqp_forced() -> None:
        name = f"eg-forced-amqp-{tag}"
        conn = amqp.Connection(
            f"{HOST}:{PORT}",
            userid="guest",
            password="guest",
            connect_timeout=5,
            client_properties={"connection_name": name},
        )
        conn.connect()
        try:
            _force_close(name)
            conn.drain_events(timeout=5)
        finally:
            conn.collect()

    family.add("amqp-320-forced", amqp_forced, T, "amqp ConnectionForced 320: broker closed the connection")
