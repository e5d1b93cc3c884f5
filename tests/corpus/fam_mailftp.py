"""
FTP, POP3 and IMAP through the standard library's clients (ftplib, poplib, imaplib) against scripted
loopback servers that answer with the protocol's reply codes: FTP's three-digit replies (4xx try
again, 5xx permanent), POP3's ``-ERR [AUTH]``/``[SYS/TEMP]`` and IMAP's ``[AUTHENTICATIONFAILED]``,
``[UNAVAILABLE]``, ``[NONEXISTENT]`` response codes.
"""

from __future__ import annotations

import ftplib
import imaplib
import poplib
from typing import Any

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import LineServer, free_port


def _ftp_server(replies: dict[bytes, bytes], greeting: bytes = b"220 corpus FTP ready\r\n") -> LineServer:
    def answer(line: bytes, rfile: Any) -> bytes:
        verb = line.split(b" ", 1)[0].strip().upper()
        default = b"331 Password required\r\n" if verb == b"USER" else b"200 OK\r\n"
        return replies.get(verb, default)

    return LineServer(greeting, answer)


def _ftp(server: LineServer, user: str = "etl", password: str = "pw", timeout: float = 5) -> ftplib.FTP:
    ftp = ftplib.FTP(timeout=timeout)
    ftp.connect("127.0.0.1", server.port)
    ftp.login(user, password)
    return ftp


def _pop3_server(pass_reply: bytes) -> LineServer:
    def answer(line: bytes, rfile: Any) -> bytes:
        verb = line.split(b" ", 1)[0].strip().upper()
        return pass_reply if verb == b"PASS" else b"+OK\r\n"

    return LineServer(b"+OK corpus POP3 ready\r\n", answer)


def _imap_server(replies: dict[bytes, bytes]) -> LineServer:
    def answer(line: bytes, rfile: Any) -> bytes:
        tag, _, rest = line.strip().partition(b" ")
        verb = rest.split(b" ", 1)[0].upper()
        if verb == b"CAPABILITY":
            return b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n"
        if verb == b"LOGOUT":
            return b"* BYE\r\n" + tag + b" OK bye\r\n"
        return tag + b" " + replies.get(verb, b"OK done") + b"\r\n"

    return LineServer(b"* OK [CAPABILITY IMAP4rev1] corpus IMAP ready\r\n", answer)


FTP_CASES = [
    ("login-530", {b"PASS": b"530 Login incorrect.\r\n"}, "login", C, "530: the credentials are wrong"),
    (
        "cwd-550",
        {b"CWD": b"550 /incoming/2026: No such file or directory\r\n"},
        "cwd",
        {C, D},
        "550: no such path",
    ),
    (
        "size-550",
        {b"SIZE": b"550 orders.csv: No such file\r\n"},
        "size",
        {C, D},
        "550: the file is not there",
    ),
    (
        "stor-552",
        {b"MKD": b"552 Exceeded storage allocation\r\n"},
        "mkd",
        {S, T},
        "552: the server's storage is full",
    ),
    ("mkd-553", {b"MKD": b"553 File name not allowed\r\n"}, "mkd", {C, D}, "553: the name is not allowed"),
    ("cwd-421", {b"CWD": b"421 Service not available, closing control connection\r\n"}, "cwd", T, "421"),
    ("mkd-450", {b"MKD": b"450 Requested file action not taken: file busy\r\n"}, "mkd", T, "450: file busy"),
    (
        "mkd-452",
        {b"MKD": b"452 Insufficient storage space\r\n"},
        "mkd",
        {S, T},
        "452: temporarily out of storage",
    ),
    ("cwd-501", {b"CWD": b"501 Syntax error in parameters\r\n"}, "cwd", {C, D}, "501: a malformed argument"),
    ("cwd-530", {b"CWD": b"530 Not logged in\r\n"}, "cwd", C, "530: not logged in"),
    (
        "mkd-532",
        {b"MKD": b"532 Need account for storing files\r\n"},
        "mkd",
        C,
        "532: the account is not set up",
    ),
]


def build(family: Family, closing: list[Any]) -> None:
    for name, replies, action, accept, why in FTP_CASES:
        server = serve(closing, _ftp_server(replies))

        def go(server: LineServer = server, action: str = action) -> None:
            ftp = _ftp(server)
            try:
                if action == "cwd":
                    ftp.cwd("/incoming/2026")
                elif action == "size":
                    ftp.size("orders.csv")
                elif action == "mkd":
                    ftp.mkd("out")
            finally:
                ftp.close()

        family.add(f"ftp-{name}", go, accept, why)
    busy = serve(closing, _ftp_server({}, b"421 Too many users, try again later\r\n"))
    family.add("ftp-greeting-421", lambda: _ftp(busy), T, "421 at greeting: too many users")
    garbage = serve(closing, _ftp_server({}, b"SSH-2.0-OpenSSH_9.6\r\n"))
    family.add(
        "ftp-not-ftp",
        lambda: _ftp(garbage, timeout=1),
        {C, T},
        "error_proto: the port speaks another protocol",
    )
    family.add(
        "ftp-refused",
        lambda: ftplib.FTP().connect("127.0.0.1", free_port(), timeout=5),
        T,
        "the FTP server refuses connections",
    )
    # -- POP3 --------------------------------------------------------------------------------
    for name, reply, accept, why in (
        ("auth", b"-ERR [AUTH] Authentication failed\r\n", C, "RFC 3206 [AUTH]: wrong credentials"),
        ("sys-temp", b"-ERR [SYS/TEMP] Mailbox temporarily unavailable\r\n", T, "[SYS/TEMP]: try later"),
        ("in-use", b"-ERR [IN-USE] Mailbox locked by another session\r\n", T, "[IN-USE]: try later"),
        (
            "login-delay",
            b"-ERR [LOGIN-DELAY] Minimum time between logins not reached\r\n",
            T,
            "[LOGIN-DELAY]",
        ),
        ("plain-err", b"-ERR invalid password\r\n", C, "a refused PASS: the credentials are wrong"),
    ):
        server = serve(closing, _pop3_server(reply))

        def pop(server: LineServer = server) -> None:
            client = poplib.POP3("127.0.0.1", server.port, timeout=5)
            try:
                client.user("etl")
                client.pass_("pw")
            finally:
                client.close()

        family.add(f"pop3-{name}", pop, accept, why)
    # -- IMAP --------------------------------------------------------------------------------
    for name, replies, accept, why in (
        ("auth-failed", {b"LOGIN": b"NO [AUTHENTICATIONFAILED] Invalid credentials"}, C, "wrong credentials"),
        (
            "unavailable",
            {b"LOGIN": b"NO [UNAVAILABLE] Backend down, try later"},
            T,
            "[UNAVAILABLE]: try later",
        ),
        ("expired", {b"LOGIN": b"NO [EXPIRED] Password expired"}, C, "[EXPIRED]: the credentials expired"),
        ("privacy", {b"LOGIN": b"NO [PRIVACYREQUIRED] Connection is not encrypted"}, C, "TLS required"),
        ("contact-admin", {b"LOGIN": b"NO [CONTACTADMIN] Account locked"}, C, "the account needs an admin"),
        (
            "bad-command",
            {b"SELECT": b"BAD Command syntax error"},
            C,
            "BAD: the client sent a malformed command",
        ),
    ):
        server = serve(closing, _imap_server(replies))

        def imap(server: LineServer = server) -> None:
            client = imaplib.IMAP4("127.0.0.1", server.port, timeout=5)
            try:
                client.login("etl", "pw")
                client.select("INBOX/Orders")
            finally:
                client.shutdown()

        family.add(f"imap-{name}", imap, accept, why)
    _ = D
