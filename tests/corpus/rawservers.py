"""
Loopback servers for the client families that need a peer misbehaving at the byte level: a raw TCP
server answering every request with fixed bytes (a broken chunked body, a truncated body, a proxy's
407, silence), a listening socket whose accept queue is full (connects to it time out), and one
that accepts and never answers (reads time out).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from typing import Any


class TCPPeer:
    """A threaded TCP server on a free loopback port serving *handler* until :meth:`close`."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RawServer(TCPPeer):
    """Reads a request up to the blank line, writes :attr:`payload` verbatim, then hangs up."""

    def __init__(self, payload: bytes = b"") -> None:
        owner = self
        self.payload = payload

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data = b""
                self.request.settimeout(1)
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = self.request.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    self.request.sendall(owner.payload)
                except OSError:
                    pass

        super().__init__(Handler)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class FullBacklog:
    """A listening socket that never accepts, with its accept queue filled: new connects hang."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = int(self.sock.getsockname()[1])
        self.fillers: list[socket.socket] = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", self.port))
            self.fillers.append(filler)

    def close(self) -> None:
        for sock in [*self.fillers, self.sock]:
            sock.close()


class SilentPort:
    """A port whose listen backlog accepts connections that nobody ever answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.sock.close()


def serve(closing: list[Any], server: Any) -> Any:
    """Register *server* for stopping and return it."""
    closing.append(server.close)
    return server
