"""A deeper wave of RPC and mail errors raised live: grpc.aio calls and google-api-core wrappers of
the status codes the first wave does not wrap, a handler that crashes, a method the server lacks, a
TLS channel to a plain-text server; smtplib against aiosmtpd answering reply codes the first wave
does not have (MAIL, RCPT and DATA stages) and an implicit-TLS client on a plain port."""

from __future__ import annotations

import asyncio
import smtplib
from concurrent import futures
from typing import Any

import grpc
from google.api_core import grpc_helpers

from tests.corpus.fam_grpc import STATUSES, _handler
from tests.corpus.model import C, D, Family, S, T, U
from tests.corpus.servers import ScriptedSMTPHandler, scripted_smtp

AIO = ("UNAVAILABLE", "ABORTED", "PERMISSION_DENIED", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "DATA_LOSS")
GOOGLE = (
    "DEADLINE_EXCEEDED",
    "ABORTED",
    "INTERNAL",
    "FAILED_PRECONDITION",
    "UNIMPLEMENTED",
    "OUT_OF_RANGE",
    "ALREADY_EXISTS",
    "DATA_LOSS",
    "CANCELLED",
)


def _crash(request: bytes, context: grpc.ServicerContext) -> bytes:
    raise RuntimeError("the handler crashed")


def build(family: Family, closing: list[Any]) -> None:
    _grpc_cases(family, closing)
    _smtp_cases(family, closing)


def _grpc_cases(family: Family, closing: list[Any]) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "corpus.Failing",
                {
                    "Call": grpc.unary_unary_rpc_method_handler(_handler),
                    "Crash": grpc.unary_unary_rpc_method_handler(_crash),
                },
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    closing.append(lambda: server.stop(None))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    closing.append(channel.close)
    call = channel.unary_unary("/corpus.Failing/Call")

    def aio(method: str, payload: bytes, secure: bool = False) -> Any:
        def run() -> None:
            async def go() -> None:
                target = f"127.0.0.1:{port}"
                made = (
                    grpc.aio.secure_channel(target, grpc.ssl_channel_credentials())
                    if secure
                    else grpc.aio.insecure_channel(target)
                )
                async with made as ch:
                    await ch.unary_unary(method)(payload, timeout=3)

            asyncio.run(go())

        return run

    for name in AIO:
        accept, why = STATUSES[name]
        family.add(
            f"grpc-aio-{name.lower()}", aio("/corpus.Failing/Call", name.encode()), accept, f"{name}: {why}"
        )
    wrapped = grpc_helpers.wrap_errors(call)
    for name in GOOGLE:
        accept, why = STATUSES[name]
        family.add(
            f"google-{name.lower()}",
            lambda n=name: wrapped(n.encode(), timeout=5),
            accept,
            f"google-api-core wrapper of {name}: {why}",
        )
    family.add(
        "google-client-deadline",
        lambda: wrapped(b"SLOW", timeout=0.05),
        T,
        "google-api-core DeadlineExceeded from the client's own deadline",
    )
    family.add(
        "grpc-handler-crash",
        lambda: channel.unary_unary("/corpus.Failing/Crash")(b"x", timeout=5),
        {U, T, S},
        "UNKNOWN: the server's handler raised; nothing says whether a retry helps",
    )
    family.add(
        "grpc-no-such-method",
        lambda: channel.unary_unary("/corpus.Failing/Missing")(b"x", timeout=5),
        C,
        "UNIMPLEMENTED: the server has no such method (wrong service or version)",
    )
    family.add(
        "grpc-aio-no-such-service",
        aio("/corpus.Nothing/Call", b"x"),
        C,
        "UNIMPLEMENTED over grpc.aio: no such service on this server",
    )
    family.add(
        "grpc-tls-to-plain-server",
        aio("/corpus.Failing/Call", b"UNAVAILABLE", secure=True),
        C,
        "a TLS channel to a plain-text server: the handshake fails every time (a setting)",
    )


class _MoreReplies(ScriptedSMTPHandler):
    TEXTS = {
        **ScriptedSMTPHandler.TEXTS,
        "432": "4.7.12 A password transition is needed",
        "452": "4.3.1 Insufficient system storage",
        "455": "4.5.4 Server unable to accommodate parameters",
        "503": "5.5.1 Bad sequence of commands",
        "521": "5.3.2 This server does not accept mail",
        "534": "5.7.9 Authentication mechanism is too weak",
        "538": "5.7.11 Encryption required for requested authentication mechanism",
        "550": "5.7.1 Message content rejected",
        "555": "5.5.4 MAIL FROM parameters not recognized",
        "556": "5.1.10 Domain does not accept mail",
    }


def _smtp_cases(family: Family, closing: list[Any]) -> None:
    port = scripted_smtp(closing, _MoreReplies()).port

    def send(sender: str, to: list[str], body: str = "Subject: x\r\n\r\nhi\r\n") -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.sendmail(sender, to, body)

    for stage, code, accept, why in (
        ("mail", "455", T, "455 cannot accommodate parameters now: 4xx"),
        ("mail", "452", T, "452 insufficient system storage: 4xx, try later"),
        ("mail", "432", C, "432 password transition needed: the account needs an operator"),
        ("mail", "503", C, "503 bad sequence of commands: a client/protocol misuse"),
        ("mail", "521", C, "521 this server does not accept mail: the wrong server is configured"),
        ("mail", "534", C, "534 the auth mechanism is too weak: a setting"),
        ("mail", "538", C, "538 encryption required: enable TLS in the connection"),
        ("mail", "555", C, "555 MAIL FROM parameters not recognised: a client setting"),
        ("rcpt", "556", {D, C}, "556 the recipient's domain accepts no mail: a bad address"),
        ("data", "550", D, "550 on DATA: the message content was rejected"),
        ("data", "452", T, "452 on DATA: insufficient storage this time"),
        ("data", "554", {D, C}, "554 on DATA: the transaction failed permanently"),
    ):
        if stage == "mail":
            run = lambda c=code: send(f"m{c}@example.com", ["ok@example.com"])  # noqa: E731
        elif stage == "rcpt":
            run = lambda c=code: send("a@example.com", [f"r{c}@example.com"])  # noqa: E731
        else:
            run = lambda c=code: send("a@example.com", ["ok@example.com"], f"X-Reply: {c}\r\n\r\nhi\r\n")  # noqa: E731
        family.add(f"smtp-{stage}-{code}", run, accept, why)

    def implicit_tls() -> None:
        with smtplib.SMTP_SSL("127.0.0.1", port, timeout=3) as client:
            client.noop()

    family.add(
        "smtp-ssl-on-plain-port",
        implicit_tls,
        C,
        "SMTP_SSL (implicit TLS) against a plain port: use starttls or port 465",
    )
