"""
Loopback servers the corpus raises against: scripted HTTP (plain and TLS with a self-signed
certificate authority), gRPC, SMTP (aiosmtpd), a scripted RESP (Redis protocol) server, a banner
server that greets with a fixed SMTP reply, and private ``redis-server`` processes.

Every server binds 127.0.0.1 on a free port and is stopped by :meth:`Servers.close`.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.corpus.model import ServiceMissing
from tests.corpus.rawservers import TCPPeer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- TLS material --------------------------------------------------------------------------------


class Certificates:
    """A throwaway CA, a leaf for 127.0.0.1/localhost, one for another host name, one expired."""

    def __init__(self, directory: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.UTC)

        def name(cn: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(name("errorguard corpus CA"))
            .issuer_name(name("errorguard corpus CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca = directory / "ca.pem"
        self.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

        def leaf(label: str, sans: list[x509.GeneralName], expired: bool = False) -> tuple[Path, Path]:
            key = ec.generate_private_key(ec.SECP256R1())
            start = now - datetime.timedelta(days=10 if expired else 1)
            builder = (
                x509.CertificateBuilder()
                .subject_name(name(label))
                .issuer_name(ca.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start)
                .not_valid_after(
                    now - datetime.timedelta(days=5) if expired else now + datetime.timedelta(days=1)
                )
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
                )
            )
            cert = builder.sign(ca_key, hashes.SHA256())
            cert_path, key_path = directory / f"{label}.pem", directory / f"{label}.key"
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            key_path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            return cert_path, key_path

        loopback = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        self.good = leaf("loopback", loopback)
        self.other_host = leaf("other", [x509.DNSName("db.internal.example")])
        self.expired = leaf("expired", loopback, expired=True)

    def server_context(self, pair: tuple[Path, Path]) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*pair)
        return context


# -- HTTP ------------------------------------------------------------------------------------------


class Reply:
    """What the scripted HTTP server answers: status, headers, body (JSON when a dict)."""

    def __init__(self, status: int, body: Any = b"", headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            self.body = json.dumps(body).encode()
            self.headers.setdefault("Content-Type", "application/json")
        else:
            self.body = body if isinstance(body, bytes) else str(body).encode()


class _QuietHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up on purpose (timeouts, failed handshakes) are expected


class ScriptedHTTP:
    """
    An HTTP server answering ``/status/<code>[/...]`` with that status, and any other request with
    :attr:`next` (set by the caller before each request); ``/slow`` sleeps before answering.
    """

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        owner = self
        self.next = Reply(200, b"ok")

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                parts = self.path.split("?")[0].strip("/").split("/")
                if parts[0] == "slow":
                    time.sleep(0.5)
                    reply = Reply(200, b"late")
                elif parts[0] == "status" and len(parts) > 1 and parts[1].isdigit():
                    reply = Reply(int(parts[1]), {"error": f"status {parts[1]}"})
                else:
                    reply = owner.next
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":  # a body after HEAD would break the next keep-alive reply
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

        self.server = _QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- line-oriented scripted servers --------------------------------------------------------------


class LineServer(TCPPeer):
    """A TCP server that sends *greeting* on connect, then answers each line with *answer(line)*."""

    def __init__(self, greeting: bytes, answer: Any = None) -> None:
        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    if greeting:
                        self.wfile.write(greeting)
                    if answer is None:
                        return
                    while True:
                        line = self.rfile.readline()
                        if not line:
                            return
                        reply = answer(line, self.rfile)
                        if reply:
                            self.wfile.write(reply)
                except OSError:
                    return

        super().__init__(Handler)


class ScriptedRESP(LineServer):
    """
    A Redis-protocol server: ``HELLO``/``CLIENT``/``SELECT``/``PING`` succeed, every other command
    gets :attr:`error` as a RESP error line (``-MOVED 3999 127.0.0.1:6381``...).
    """

    def __init__(self) -> None:
        self.error = "ERR scripted"

        def answer(line: bytes, rfile: Any) -> bytes:
            if not line.startswith(b"*"):
                return b""
            words = []
            for _ in range(int(line[1:].strip())):
                rfile.readline()  # $len
                words.append(rfile.readline().strip().upper())
            if words and words[0] in (b"CLIENT", b"SELECT", b"PING", b"HELLO"):
                return b"+OK\r\n"
            return f"-{self.error}\r\n".encode()

        super().__init__(b"", answer)


# -- private redis-server ------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` (no persistence) on a free port; extra ``--option value`` pairs."""

    def __init__(self, *options: str) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceMissing("redis-server binary", "not on PATH")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="errorguard-corpus-redis-")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", self.dir, *options]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        self.close()
        raise ServiceMissing("redis-server", f"did not listen on {self.port}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- PostgreSQL --------------------------------------------------------------------------------------


def pg_database(closing: list[Any], prefix: str = "errorguard_corpus") -> tuple[str, dict[str, Any]]:
    """
    A throwaway PostgreSQL database, dropped (``WITH (FORCE)``) when the corpus closes, and the
    server's connection keywords (host, port, user). Raises :class:`ServiceMissing` when the server
    is not reachable.
    """
    from tests.corpus.fam_postgres import admin_connection  # fam_postgres imports this module

    admin, server = admin_connection()
    dbname = f"{prefix}_{secrets.token_hex(4)}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{dbname}"')

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()

    closing.append(drop)
    return dbname, server


# -- SMTP (aiosmtpd) -----------------------------------------------------------------------------


class ScriptedSMTPHandler:
    """RCPT ``rNNN@...`` answers reply NNN; MAIL from ``mNNN@...`` too; DATA with ``X-Reply: NNN``."""

    TEXTS = {
        "421": "4.7.0 Try again later, closing connection",
        "450": "4.2.1 Mailbox temporarily unavailable",
        "451": "4.3.0 Local error in processing, try again later",
        "452": "4.5.3 Too many recipients",
        "550": "5.1.1 User unknown in virtual mailbox table",
        "551": "5.7.1 Relaying denied",
        "552": "5.3.4 Message size exceeds fixed limit",
        "553": "5.7.1 Sender address rejected: not owned by user",
        "554": "5.7.1 Message rejected as spam",
    }

    def _scripted(self, address: str, prefix: str) -> str | None:
        local = address.split("@", maxsplit=1)[0]
        if local.startswith(prefix) and local[1:4] in self.TEXTS:
            return f"{local[1:4]} {self.TEXTS[local[1:4]]}"
        return None

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self._scripted(address, "m")
        if reply:
            return reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self._scripted(address, "r")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for line in envelope.content.decode(errors="replace").splitlines():
            if line.startswith("X-Reply: "):
                code = line.split()[1]
                return f"{code} {self.TEXTS[code]}"
        return "250 Message accepted"


def _deny_every_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=False, handled=False, message="535 5.7.8 Authentication credentials invalid")


def scripted_smtp(
    closing: list[Any],
    handler: ScriptedSMTPHandler | None = None,
    *,
    deny_logins: bool = False,
    require_login: bool = False,
) -> Any:
    """
    aiosmtpd on a free port answering with *handler* (a :class:`ScriptedSMTPHandler` by default),
    stopped when the corpus closes; returns its ``Controller`` (``.port``). *deny_logins* offers AUTH
    without TLS and refuses every login (535); *require_login* also refuses mail before a login (530).
    """
    from aiosmtpd.controller import Controller  # only the SMTP families pay for aiosmtpd

    login: dict[str, Any] = {}
    if deny_logins:
        login = {"authenticator": _deny_every_login, "auth_require_tls": False}
        login["auth_required"] = require_login
    controller = Controller(handler or ScriptedSMTPHandler(), hostname="127.0.0.1", port=free_port(), **login)
    controller.start()
    closing.append(controller.stop)
    return controller
