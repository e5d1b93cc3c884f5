"""gRPC: ``grpc`` client calls against an in-process server aborting with each status code, and
the same errors through google-api-core's wrapper (``grpc_helpers.wrap_errors``)."""

from __future__ import annotations

import asyncio
import time
from concurrent import futures
from typing import Any

import grpc
from google.api_core import grpc_helpers
from google.api_core import retry as google_retry

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.servers import free_port

#: status -> (acceptable categories, why)
STATUSES: dict[str, tuple[Any, str]] = {
    "UNAVAILABLE": (T, "the service is unavailable: retry"),
    "DEADLINE_EXCEEDED": (T, "the server gave up on its deadline"),
    "RESOURCE_EXHAUSTED": (T, "quota or rate limit exhausted: retry later"),
    "ABORTED": (T, "concurrency conflict: retry the transaction"),
    "INTERNAL": ({T, S}, "internal server error"),
    "UNAUTHENTICATED": (C, "credentials missing or invalid"),
    "PERMISSION_DENIED": (C, "credentials lack permission"),
    "NOT_FOUND": ({C, D}, "a resource is missing"),
    "FAILED_PRECONDITION": ({C, D}, "the system is not in the state the call needs; not retryable as is"),
    "UNIMPLEMENTED": (C, "the method is not implemented by this server (wrong endpoint/version)"),
    "INVALID_ARGUMENT": (D, "the request's content was rejected"),
    "OUT_OF_RANGE": (D, "a value is out of range"),
    "ALREADY_EXISTS": (D, "the resource already exists"),
    "DATA_LOSS": (S, "unrecoverable data loss"),
    "CANCELLED": (T, "the call was cancelled"),
}
WRAPPED = (
    "UNAVAILABLE",
    "RESOURCE_EXHAUSTED",
    "PERMISSION_DENIED",
    "NOT_FOUND",
    "INVALID_ARGUMENT",
    "UNAUTHENTICATED",
)


def _handler(request: bytes, context: grpc.ServicerContext) -> bytes:
    name = request.decode()
    if name == "SLOW":
        time.sleep(1.0)
        return b"late"
    context.abort(getattr(grpc.StatusCode, name), f"scripted {name.lower()} for the corpus")
    return b""  # pragma: no cover - abort raises


def build(family: Family, closing: list[Any]) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "corpus.Failing", {"Call": grpc.unary_unary_rpc_method_handler(_handler)}
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    closing.append(lambda: server.stop(None))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    closing.append(channel.close)
    call = channel.unary_unary("/corpus.Failing/Call")

    for name, (accept, why) in STATUSES.items():
        family.add(
            f"grpc-{name.lower()}", lambda n=name: call(n.encode(), timeout=5), accept, f"{name}: {why}"
        )
    family.add(
        "grpc-client-deadline",
        lambda: call(b"SLOW", timeout=0.05),
        T,
        "the client's own deadline expired (DEADLINE_EXCEEDED)",
    )
    dead = grpc.insecure_channel(f"127.0.0.1:{free_port()}")
    closing.append(dead.close)
    family.add(
        "grpc-refused",
        lambda: dead.unary_unary("/corpus.Failing/Call")(b"x", timeout=2),
        T,
        "UNAVAILABLE: nothing listens (connection refused)",
    )
    idle = grpc.insecure_channel(f"127.0.0.1:{free_port()}")
    closing.append(idle.close)
    family.add(
        "grpc-channel-ready-timeout",
        lambda: grpc.channel_ready_future(idle).result(timeout=0.3),
        T,
        "FutureTimeoutError: the channel did not become ready",
    )

    def aio_refused() -> None:
        async def go() -> None:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{free_port()}") as channel:
                await channel.unary_unary("/corpus.Failing/Call")(b"x", timeout=2)

        asyncio.run(go())

    family.add("grpc-aio-refused", aio_refused, T, "AioRpcError UNAVAILABLE: nothing listens")

    def retry_gave_up() -> None:
        retry = google_retry.Retry(
            initial=0.01, maximum=0.02, timeout=0.2, predicate=google_retry.if_exception_type(Exception)
        )
        retry(grpc_helpers.wrap_errors(call))(b"UNAVAILABLE", timeout=5)

    family.add("google-retry-gave-up", retry_gave_up, T, "RetryError over UNAVAILABLE: gave up for now")
    wrapped = grpc_helpers.wrap_errors(call)
    for name in WRAPPED:
        accept, why = STATUSES[name]
        family.add(
            f"google-{name.lower()}",
            lambda n=name: wrapped(n.encode(), timeout=5),
            accept,
            f"google-api-core wrapper of {name}: {why}",
        )
