"""
Operating-system errors as a task meets them: raw sockets (refused, reset, broken pipe, timeouts,
unknown host names), files (missing, a directory, permissions, a full device, symlink loops,
read-only filesystems), executables, child processes and waits that time out.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.corpus.model import C, D, Family, S, T, U
from tests.corpus.rawservers import FullBacklog, RawServer, serve
from tests.corpus.servers import free_port

NEEDS_TMP = True


def _reset_by_peer() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname(), timeout=2)
    server, _ = listener.accept()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()
    listener.close()
    time.sleep(0.05)
    try:
        client.recv(10)
    finally:
        client.close()


def _broken_pipe() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname(), timeout=2)
    server, _ = listener.accept()
    server.close()
    listener.close()
    try:
        for _ in range(100):
            client.sendall(b"x" * 65536)
            time.sleep(0.01)
    finally:
        client.close()


def _recv_timeout(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=0.1) as sock:
        sock.recv(10)


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    quiet = serve(closing, RawServer(b""))
    backlog = serve(closing, FullBacklog())
    closed = free_port()
    family.add(
        "socket-refused", lambda: socket.create_connection(("127.0.0.1", closed), timeout=2), T, "refused"
    )
    family.add("socket-reset", _reset_by_peer, T, "ECONNRESET: the peer aborted the connection")
    family.add("socket-broken-pipe", _broken_pipe, T, "EPIPE: the peer went away mid-write")
    family.add("socket-recv-timeout", lambda: _recv_timeout(quiet.port), T, "socket.timeout on recv")
    family.add(
        "socket-connect-timeout",
        lambda: socket.create_connection(("127.0.0.1", backlog.port), timeout=0.2),
        T,
        "connect timed out",
    )
    family.add(
        "gaierror-unknown-host",
        lambda: socket.getaddrinfo("no-such-host.invalid", 443),
        C,
        "EAI_NONAME: a wrong host name",
    )
    family.add(
        "gaierror-bad-port-name",
        lambda: socket.getaddrinfo("127.0.0.1", "no-such-service"),
        C,
        "EAI_SERVICE: a service name that does not exist",
    )

    async def open_refused() -> None:
        await asyncio.open_connection("127.0.0.1", closed)

    family.add("asyncio-refused", lambda: asyncio.run(open_refused()), T, "refused through asyncio")

    async def slow() -> None:
        await asyncio.wait_for(asyncio.sleep(5), timeout=0.05)

    family.add("asyncio-wait-for", lambda: asyncio.run(slow()), T, "asyncio.wait_for timed out")

    def future_timeout() -> None:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            future = pool.submit(time.sleep, 0.3)
            future.result(timeout=0.05)

    family.add("future-timeout", future_timeout, T, "concurrent.futures TimeoutError")
    family.add(
        "subprocess-timeout",
        lambda: subprocess.run(
            [sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3, check=False
        ),
        {T, S},
        "a child process did not finish in time",
    )
    family.add(
        "subprocess-missing-binary",
        lambda: subprocess.run(["no-such-binary-corpus13"], check=True),
        C,
        "FileNotFoundError: the executable is not installed",
    )
    script = tmp / "not-executable.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    family.add(
        "subprocess-not-executable",
        lambda: subprocess.run([str(script)], check=False),
        C,
        "EACCES: not marked executable",
    )
    noexec = tmp / "garbage.bin"
    noexec.write_bytes(b"\x00\x01garbage")
    noexec.chmod(0o755)
    family.add(
        "subprocess-exec-format",
        lambda: subprocess.run([str(noexec)], check=False),
        C,
        "ENOEXEC: not a program",
    )
    family.add(
        "subprocess-exit-2",
        lambda: subprocess.run(["ls", str(tmp / "no-such-dir")], check=True, capture_output=True),
        {C, D, U},
        "exit status 2 (ls: no such directory): the arguments or the input are wrong, or nothing tells",
    )
    # -- files -----------------------------------------------------------------------------------
    family.add(
        "open-missing-config",
        lambda: Path(tmp / "conf" / "settings.yaml").open(),  # noqa: SIM115
        C,
        "ENOENT on a config path",
    )
    family.add("open-directory", lambda: Path(tmp).open(), C, "EISDIR")  # noqa: SIM115
    family.add(
        "open-under-file",
        lambda: Path(script / "child").open(),  # noqa: SIM115
        C,
        "ENOTDIR: a file used as a directory",
    )
    family.add(
        "write-dev-full", lambda: Path("/dev/full").write_bytes(b"x" * 10), S, "ENOSPC: the disk is full"
    )
    loop_a, loop_b = tmp / "loop-a", tmp / "loop-b"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    family.add("symlink-loop", lambda: Path(loop_a).open(), C, "ELOOP: a symlink loop in the configured path")  # noqa: SIM115
    family.add(
        "write-read-only-fs",
        lambda: Path("/sys/corpus13-file").write_text("x"),
        {C, S},
        "a read-only or pseudo filesystem: the output path is wrong",
    )
    family.add("mkdir-exists", lambda: os.mkdir(tmp), {D, C}, "FileExistsError")
    full = tmp / "full"
    full.mkdir()
    (full / "x").write_text("x")
    family.add("rmdir-not-empty", lambda: os.rmdir(full), {D, C}, "ENOTEMPTY")
    family.add(
        "name-too-long",
        lambda: Path(tmp / ("x" * 300).open()),
        {D, C},
        "ENAMETOOLONG: a path built from a value",
    )
    family.add(
        "rename-missing",
        lambda: os.rename(tmp / "no-such-file", tmp / "y"),
        C,
        "ENOENT: the source path is wrong",
    )
