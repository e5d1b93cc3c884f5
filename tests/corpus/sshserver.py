"""
An in-process SSH server for the corpus (paramiko): password authentication, exec of scripted
commands (``exit N``, ``sleep N``) or an exec refusal, and SFTP over a private folder with the OS's
errors, as a real sshd's. Binds 127.0.0.1 on a free port; :meth:`SSHServer.close` stops it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko


class _SFTP(paramiko.SFTPServerInterface):
    """SFTP over the folder ``ROOT`` (set per server); errors are the OS's, as a real sshd's."""

    ROOT = Path("/nonexistent")

    def _real(self, path: str) -> str:
        if path.lstrip("/").startswith("locked"):  # the corpus runs as root: deny as sshd's user would
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return str(self.ROOT / path.lstrip("/"))

    def _try(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def list_folder(self, path: str) -> Any:
        def run() -> list[paramiko.SFTPAttributes]:
            real = self._real(path)
            out = []
            for name in os.listdir(real):
                attr = paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(real, name)))
                attr.filename = name
                out.append(attr)
            return out

        return self._try(run)

    def stat(self, path: str) -> Any:
        return self._try(lambda: paramiko.SFTPAttributes.from_stat(os.stat(self._real(path))))

    lstat = stat

    def open(self, path: str, flags: int, attr: Any) -> Any:
        def run() -> paramiko.SFTPHandle:
            fd = os.open(self._real(path), flags, 0o644)
            mode = "wb" if flags & os.O_WRONLY else "r+b" if flags & os.O_RDWR else "rb"
            handle = paramiko.SFTPHandle(flags)
            handle.readfile = handle.writefile = os.fdopen(fd, mode)  # type: ignore[attr-defined]
            return handle

        return self._try(run)

    def remove(self, path: str) -> Any:
        return self._try(lambda: os.remove(self._real(path)) or paramiko.SFTP_OK)

    def mkdir(self, path: str, attr: Any) -> Any:
        return self._try(lambda: os.mkdir(self._real(path)) or paramiko.SFTP_OK)

    def rmdir(self, path: str) -> Any:
        return self._try(lambda: os.rmdir(self._real(path)) or paramiko.SFTP_OK)

    def canonicalize(self, path: str) -> str:
        return "/" + path.lstrip("/") if path not in {"", "."} else "/"


class _Session(paramiko.ServerInterface):
    """Password ``etl``/``secret``, session channels only; exec runs commands unless *run_commands* is off."""

    def __init__(self, run_commands: bool) -> None:
        self.run_commands = run_commands

    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == "etl" and password == "secret"
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return (
            paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_env_request(self, channel: Any, name: bytes, value: bytes) -> bool:
        return True

    def check_channel_exec_request(self, channel: Any, command: bytes) -> bool:
        """``exit N`` ends with status N; ``sleep N`` answers after N seconds; others print and exit 0."""
        if not self.run_commands:
            return False  # refused: the client's exec_command fails on the channel
        words = command.decode().split()

        def run() -> None:
            # paramiko acknowledges the exec request after this method returns: answering before
            # that closes the channel under the client ("Channel closed."), which a real sshd never does.
            time.sleep(0.2)
            with contextlib.suppress(Exception):
                if words[:1] == ["exit"]:
                    channel.sendall_stderr(b"failed\n")
                    channel.send_exit_status(int(words[1]))
                elif words[:1] == ["sleep"]:
                    time.sleep(float(words[1]))
                    channel.send_exit_status(0)
                else:
                    channel.sendall(b"ok\n")
                    channel.send_exit_status(0)
                channel.close()

        threading.Thread(target=run, daemon=True).start()
        return True


class SSHServer:
    """
    paramiko on a free port: password auth ``etl``/``secret``; exec runs commands (or is refused with
    ``run_commands=False``); SFTP over *sftp_root* when given, no SFTP subsystem otherwise.
    """

    def __init__(self, sftp_root: Path | None = None, *, run_commands: bool = True) -> None:
        self.key = paramiko.ECDSAKey.generate()
        self.sftp = None if sftp_root is None else type("_RootedSFTP", (_SFTP,), {"ROOT": sftp_root})
        self.run_commands = run_commands
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.transports: list[paramiko.Transport] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.key)
            if self.sftp is not None:
                transport.set_subsystem_handler("sftp", paramiko.SFTPServer, self.sftp)
            self.transports.append(transport)
            with contextlib.suppress(Exception):
                transport.start_server(server=_Session(self.run_commands))

    def close(self) -> None:
        self.running = False
        self.sock.close()
        for transport in self.transports:
            transport.close()
