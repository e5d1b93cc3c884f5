"""SMTP: ``smtplib`` against aiosmtpd (scripted replies) and raw scripted greeters."""

from __future__ import annotations

import smtplib
from typing import Any

from tests.corpus.model import C, D, Family, T
from tests.corpus.servers import LineServer, free_port, scripted_smtp


def build(family: Family, closing: list[Any]) -> None:
    plain = scripted_smtp(closing)
    auth = scripted_smtp(closing, deny_logins=True, require_login=True)

    def send(port: int, sender: str, to: list[str], body: str = "Subject: x\r\n\r\nhi\r\n") -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.sendmail(sender, to, body)

    p = plain.port
    for code, accept, why in (
        ("450", T, "450 mailbox temporarily unavailable: 4xx means try later"),
        ("451", T, "451 local error, try again later: 4xx"),
        ("452", T, "452 too many recipients (this time): 4xx"),
        ("550", {D, C}, "550 user unknown: the address (a value) or the setting is wrong; never transient"),
        ("551", C, "551 relaying denied: the relay is misconfigured"),
        ("554", {D, C}, "554 rejected: permanent, not retryable"),
    ):
        family.add(
            f"rcpt-{code}", lambda c=code: send(p, "a@example.com", [f"r{c}@example.com"]), accept, why
        )
    family.add(
        "rcpt-mixed-4xx",
        lambda: send(p, "a@example.com", ["r450@example.com", "r451@example.com"]),
        T,
        "every recipient refused with 4xx: try later",
    )
    family.add(
        "mail-553",
        lambda: send(p, "m553@example.com", ["ok@example.com"]),
        C,
        "553 sender not owned by the authenticated user: configuration",
    )
    family.add(
        "mail-550",
        lambda: send(p, "m550@example.com", ["ok@example.com"]),
        C,
        "550 on MAIL FROM: the configured sender is refused",
    )
    family.add("mail-421", lambda: send(p, "m421@example.com", ["ok@example.com"]), T, "421 try later")
    family.add(
        "data-451",
        lambda: send(p, "a@example.com", ["ok@example.com"], "X-Reply: 451\r\n\r\nhi\r\n"),
        T,
        "451 on DATA: try later",
    )
    family.add(
        "data-552",
        lambda: send(p, "a@example.com", ["ok@example.com"], "X-Reply: 552\r\n\r\nhi\r\n"),
        {D, C},
        "552 message too large: the message (data) or the limit (configuration)",
    )

    _session_cases(family, closing, p, auth.port)


def _session_cases(family: Family, closing: list[Any], p: int, auth_port: int) -> None:
    """Authentication, extensions, greetings and lost sessions."""

    def send(port: int, sender: str, to: list[str], body: str = "Subject: x\r\n\r\nhi\r\n") -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.sendmail(sender, to, body)

    def login(port: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.login("airflow", "wrong-password")

    family.add("auth-535", lambda: login(auth_port), C, "535 authentication credentials invalid")
    family.add(
        "auth-required-530",
        lambda: send(auth_port, "a@example.com", ["ok@example.com"]),
        C,
        "530 authentication required: the SMTP connection has no credentials",
    )
    family.add(
        "auth-not-supported",
        lambda: login(p),
        C,
        "SMTPNotSupportedError: AUTH is not offered (wrong port or missing STARTTLS)",
    )

    def starttls(port: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.starttls()

    family.add("starttls-not-supported", lambda: starttls(p), C, "STARTTLS not offered: wrong port/setting")

    busy = LineServer(b"421 4.3.2 Service not available, closing transmission channel\r\n")
    closing.append(busy.close)
    family.add(
        "connect-421",
        lambda: smtplib.SMTP("127.0.0.1", busy.port, timeout=5),
        T,
        "421 greeting: the server is busy, try later",
    )
    nosmtp = LineServer(b"554 5.7.1 No SMTP service here\r\n")
    closing.append(nosmtp.close)
    family.add(
        "connect-554",
        lambda: smtplib.SMTP("127.0.0.1", nosmtp.port, timeout=5),
        C,
        "554 greeting: this host does not serve SMTP to us (wrong host)",
    )

    def _drop(line: bytes, rfile: Any) -> bytes:
        raise OSError("drop")

    dropper = LineServer(b"220 ready\r\n", _drop)
    closing.append(dropper.close)

    def ehlo_dropped() -> None:
        with smtplib.SMTP("127.0.0.1", dropper.port, timeout=5) as client:
            client.ehlo()

    family.add("server-disconnected", ehlo_dropped, T, "SMTPServerDisconnected mid-session: connection lost")
    helo_bad = LineServer(b"220 ready\r\n", lambda line, rfile: b"501 5.5.4 Syntax error in parameters\r\n")
    closing.append(helo_bad.close)

    def helo() -> None:
        with smtplib.SMTP("127.0.0.1", helo_bad.port, timeout=5) as client:
            client.sendmail("a@example.com", ["b@example.com"], "hi")

    family.add("helo-501", helo, C, "SMTPHeloError 501: the client's greeting is rejected (setting)")
    silent = LineServer(b"", lambda line, rfile: None)
    closing.append(silent.close)
    family.add(
        "greeting-timeout",
        lambda: smtplib.SMTP("127.0.0.1", silent.port, timeout=0.2),
        T,
        "no greeting within the timeout",
    )
    refused = free_port()
    family.add(
        "refused",
        lambda: smtplib.SMTP("127.0.0.1", refused, timeout=5),
        T,
        "connection refused (not listening)",
    )
