"""Airflow's SMTP provider as tasks use it, raised live: ``SmtpHook.send_email_smtp`` and
``EmailOperator`` against aiosmtpd (scripted replies, a server that refuses every login) and
ports where nothing or something else listens; connections from ``AIRFLOW_CONN_<ID>``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.providers.smtp.operators.smtp import EmailOperator

from tests.corpus.fam_providers import _connections
from tests.corpus.model import C, D, Family, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import LineServer, free_port, scripted_smtp

NEEDS_TMP = True


def _conn(port: int, **extra: Any) -> str:
    plain = {"disable_ssl": True, "disable_tls": True, "from_email": "airflow@example.com", "retry_limit": 0}
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": {**plain, **extra}})


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    logging.getLogger("airflow").setLevel(logging.CRITICAL)
    plain = scripted_smtp(closing)
    auth = scripted_smtp(closing, deny_logins=True, require_login=True)
    busy = serve(closing, LineServer(greeting=b"421 4.3.2 Service not available, closing channel\r\n"))
    not_smtp = serve(closing, LineServer(greeting=b"SSH-2.0-OpenSSH_9.6\r\n"))
    login = {"login": "etl", "password": "wrong"}
    _connections(
        closing,
        eg_corpus_smtp=_conn(plain.port),
        eg_corpus_smtp_auth=json.dumps({**json.loads(_conn(auth.port)), **login}),
        eg_corpus_smtp_tls=_conn(plain.port, disable_tls=False),
        eg_corpus_smtp_ssl=_conn(plain.port, disable_ssl=False, timeout=5),
        eg_corpus_smtp_down=_conn(free_port()),
        eg_corpus_smtp_busy=_conn(busy.port),
        eg_corpus_smtp_notsmtp=_conn(not_smtp.port, timeout=2),
        eg_corpus_smtp_nohost=json.dumps(
            {**json.loads(_conn(25)), "host": "no-such-host.errorguard.invalid"}
        ),
        eg_corpus_smtp_nofrom=_conn(plain.port, from_email=None),
    )

    def send(conn: str, to: str = "ok@example.com", **kw: Any) -> Callable[[], Any]:
        def run() -> None:
            with SmtpHook(smtp_conn_id=conn) as hook:
                hook.send_email_smtp(
                    to=to, subject=kw.pop("subject", "report"), html_content="<p>hi</p>", **kw
                )

        return run

    def operator(conn: str, **kw: Any) -> Callable[[], Any]:
        kw.setdefault("to", "ok@example.com")
        task = EmailOperator(task_id="mail", conn_id=conn, subject="s", html_content="x", **kw)
        return lambda: task.execute({})

    for name, run, accept, why in (
        ("rcpt-450", send("eg_corpus_smtp", to="r450@example.com"), T, "450 mailbox busy: 4xx, later"),
        ("rcpt-550", send("eg_corpus_smtp", to="r550@example.com"), {D, C}, "550 user unknown: the address"),
        (
            "rcpt-551",
            send("eg_corpus_smtp", to="r551@example.com"),
            C,
            "551 relaying denied: the relay setting",
        ),
        ("mail-553", send("eg_corpus_smtp", from_email="m553@example.com"), C, "553 the configured sender"),
        ("mail-421", send("eg_corpus_smtp", from_email="m421@example.com"), T, "421 try again later"),
        ("auth-535", send("eg_corpus_smtp_auth"), C, "535 the connection's login is refused"),
        ("starttls-unsupported", send("eg_corpus_smtp_tls"), C, "STARTTLS asked of a server without it"),
        ("ssl-on-plain", send("eg_corpus_smtp_ssl"), C, "SMTP_SSL against a plain-text server"),
        ("refused", send("eg_corpus_smtp_down"), T, "nothing listens on the connection's port"),
        ("greeting-421", send("eg_corpus_smtp_busy"), T, "the server greets 421: busy, try later"),
        ("not-smtp", send("eg_corpus_smtp_notsmtp"), C, "the connection's port is another service"),
        ("unknown-host", send("eg_corpus_smtp_nohost"), C, "the connection's host does not resolve"),
        ("no-conn-id", send("eg_corpus_smtp_missing"), C, "'SMTP connection is not found.'"),
        ("no-from", send("eg_corpus_smtp_nofrom"), C, "no from_email in the call nor the connection"),
        ("no-subject", send("eg_corpus_smtp", subject=None), C, "no subject and no subject_template"),
        (
            "attachment-missing",
            send("eg_corpus_smtp", files=[str(tmp / "absent.pdf")]),
            {C, D},
            "an attachment path that does not exist",
        ),
        (
            "operator-550",
            operator("eg_corpus_smtp", to="r550@example.com"),
            {D, C},
            "EmailOperator: the address refused 550",
        ),
        ("operator-down", operator("eg_corpus_smtp_down"), T, "EmailOperator: nothing listens"),
    ):
        family.add(name, run, accept, why)
