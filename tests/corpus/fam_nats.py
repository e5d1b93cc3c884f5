"""NATS with nats-py: the nats-server on 127.0.0.1:4222 (core requests, JetStream streams, key-value
and object stores), a refused port, and a scripted server refusing CONNECT with ``-ERR`` the way
nats-server does (authorization, expired credentials, connection limits)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import nats

from tests.corpus.brokerservers import ScriptedBroker, nats_error
from tests.corpus.model import C, D, Family, S, ServiceMissing, T, raised
from tests.corpus.rawservers import serve
from tests.corpus.servers import free_port

URL = "nats://127.0.0.1:4222"


async def _quiet(_: Exception) -> None:
    return None


def _connect(url: str) -> Awaitable[Any]:
    return nats.connect(
        url,
        allow_reconnect=False,
        max_reconnect_attempts=1,
        reconnect_time_wait=0.05,
        connect_timeout=1,
        error_cb=_quiet,
    )


def build(family: Family, closing: list[Any]) -> None:
    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=2).close()
    except OSError as exc:
        raise ServiceMissing("NATS at 127.0.0.1:4222", exc) from exc
    refusing = {
        "auth": ("Authorization Violation", C, "the server refuses the credentials"),
        "auth-expired": ("User Authentication Expired", C, "the user's credentials have expired"),
        "max-connections": ("maximum connections exceeded", T, "the server is at its connection limit"),
    }
    brokers = {
        name: serve(closing, ScriptedBroker(nats_error(text))) for name, (text, _, _) in refusing.items()
    }
    found: list[tuple[str, BaseException, Any, str]] = []
    asyncio.run(_raise_all(found, brokers, refusing))
    for name, exc, accept, why in found:
        family.add(name, exc, accept, why)


async def _raise_all(
    found: list[tuple[str, BaseException, Any, str]],
    brokers: dict[str, ScriptedBroker],
    refusing: dict[str, tuple[str, Any, str]],
) -> None:
    async def add(name: str, make: Callable[[], Awaitable[Any]], accept: Any, why: str) -> None:
        async def run() -> None:
            await asyncio.wait_for(make(), 5)

        try:
            await run()
        except BaseException as exc:
            found.append((name, exc, accept, why))
            return
        found.append((name, raised(lambda: None), accept, why))

    refused = free_port()
    await add("refused", lambda: _connect(f"nats://127.0.0.1:{refused}"), T, "nothing listens (server down)")
    for name, (_, accept, why) in refusing.items():
        await add(name, lambda p=brokers[name].port: _connect(f"nats://127.0.0.1:{p}"), accept, why)
    nc = await _connect(URL)
    tag = secrets.token_hex(3)
    stream, bucket = f"EGCORPUS{tag}", f"egcorpus{tag}"
    js = nc.jetstream(timeout=2)
    try:
        await add(
            "no-responders",
            lambda: nc.request(f"eg.{tag}.nobody", b"x", timeout=1),
            {T, C},
            "no service listens",
        )
        await nc.subscribe(f"eg.{tag}.slow")
        await add(
            "request-timeout",
            lambda: nc.request(f"eg.{tag}.slow", b"x", timeout=0.2),
            T,
            "the service is slow",
        )
        await add("empty-subject", lambda: nc.publish("", b"x"), C, "an empty subject")
        await add("subject-space", lambda: nc.subscribe("orders new"), C, "a subject with a space")
        await add(
            "max-payload", lambda: nc.publish("eg.big", b"x" * (nc.max_payload + 1)), D, "a message too big"
        )
        await add("stream-missing", lambda: js.stream_info(f"NOSUCH{tag}"), C, "the stream does not exist")
        await add(
            "no-stream",
            lambda: js.publish(f"eg.{tag}.unbound", b"x", timeout=0.5),
            {C, T},
            "no stream takes it",
        )
        await add("bucket-missing", lambda: js.key_value(f"nosuch{tag}"), C, "the KV bucket does not exist")
        await add(
            "objstore-missing", lambda: js.object_store(f"nosuch{tag}"), C, "the object store is missing"
        )
        await add(
            "stream-name",
            lambda: js.add_stream(name="bad.name", subjects=["x.y"]),
            C,
            "a dot in a stream name",
        )
        await js.add_stream(name=stream, subjects=[f"eg{tag}.>"], max_msgs=1, discard="new")
        await add(
            "subjects-overlap",
            lambda: js.add_stream(name=f"{stream}B", subjects=[f"eg{tag}.>"]),
            C,
            "the subjects overlap another stream's",
        )
        await add(
            "consumer-missing", lambda: js.consumer_info(stream, "nobody"), C, "the consumer does not exist"
        )
        await js.publish(f"eg{tag}.a", b"1")
        await add("stream-full", lambda: js.publish(f"eg{tag}.a", b"2"), {S, T}, "the stream's message limit")
        await add(
            "wrong-last-seq",
            lambda: js.publish(f"eg{tag}.b", b"2", headers={"Nats-Expected-Last-Sequence": "99"}),
            {T, D},
            "optimistic concurrency: someone wrote first",
        )
        kv = await js.create_key_value(bucket=bucket)
        await add("kv-key-missing", lambda: kv.get("nokey"), {D, C}, "the key is not in the bucket")
        await add("kv-bad-key", lambda: kv.put("bad key!", b"x"), D, "a key with characters KV refuses")
        await kv.put("k", b"1")
        await add("kv-stale-update", lambda: kv.update("k", b"2", last=99), {T, D}, "a stale revision")
        await add("kv-create-exists", lambda: kv.create("k", b"x"), {D, T}, "the key already exists")
    finally:
        for name in (stream, f"{stream}B", f"KV_{bucket}"):
            with contextlib.suppress(Exception):  # it may never have been made
                await js.delete_stream(name)
        await nc.close()
    await add("closed", lambda: nc.publish("eg.x", b"y"), {C, T}, "publishing on a closed connection")
