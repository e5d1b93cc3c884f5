"""
Scripted broker peers for the MQTT and NATS families: a loopback server that reads the client's
CONNECT and answers with fixed protocol bytes (an MQTT CONNACK carrying a refusal code, a NATS
``-ERR``), so the client raises what it raises against a real broker that refuses it.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import time
from collections.abc import Callable

from tests.corpus.rawservers import TCPPeer

Script = Callable[[socket.socket], None]


class ScriptedBroker(TCPPeer):
    """Runs *script* on every accepted connection; the script talks the protocol's bytes."""

    def __init__(self, script: Script) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(2)
                with contextlib.suppress(OSError):
                    script(self.request)

        super().__init__(Handler)


def mqtt_connack(return_code: int, *, v5: bool = False) -> Script:
    """Answer CONNECT with a CONNACK refusing the connection with *return_code* (3.1.1 or 5)."""
    payload = bytes([0x20, 3, 0, return_code, 0]) if v5 else bytes([0x20, 2, 0, return_code])

    def script(sock: socket.socket) -> None:
        sock.recv(4096)
        sock.sendall(payload)
        time.sleep(0.2)

    return script


def nats_error(text: str) -> Script:
    """Greet with INFO, read CONNECT + PING, answer ``-ERR '<text>'`` (as nats-server refuses)."""

    def script(sock: socket.socket) -> None:
        sock.sendall(b'INFO {"server_id":"corpus","version":"2.10.0","proto":1,"max_payload":1048576}\r\n')
        data = b""
        while b"PING" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return
            data += chunk
        sock.sendall(f"-ERR '{text}'\r\n".encode())
        time.sleep(0.2)

    return script
