"""
Ties: chains whose links are equally confident but disagree; the more specific signal (the inner
cause, a code over a class) must win. Inner errors are raised live; the wrappers are ordinary
``raise ... from`` as applications write them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import socket
import subprocess
import sys
from typing import Any

from tests.corpus.model import C, D, Family, T


def _wrap(inner: Any, outer: type[BaseException], message: str) -> Any:
    def run() -> None:
        try:
            inner()
        except BaseException as exc:
            raise outer(message) from exc

    return run


def _permission_error() -> None:
    """A live EACCES: a child that is not root opens a root-only file (or we are not root)."""
    if os.getuid() != 0:
        open("/etc/shadow")  # noqa: SIM115 - raises PermissionError
    script = (
        "import os, pickle, sys\nos.setgid(65534); os.setuid(65534)\n"
        "try:\n    open('/etc/shadow')\n"
        "except OSError as exc:\n    sys.stdout.buffer.write(pickle.dumps(exc))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, timeout=30)
    raise pickle.loads(out.stdout)


def _refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=2)


def build(family: Family, closing: list[Any]) -> None:
    decode = lambda: b"\xff\xfe broken".decode("utf-8")  # noqa: E731
    family.add(
        "connectionerror-from-decode",
        _wrap(decode, ConnectionError, "feed unavailable"),
        D,
        "ConnectionError (0.9) from UnicodeDecodeError (0.9): the inner cause wins",
    )
    family.add(
        "timeout-from-permission",
        _wrap(_permission_error, TimeoutError, "export timed out"),
        C,
        "TimeoutError (0.9) from PermissionError (0.9): the inner cause wins",
    )
    family.add(
        "csv-from-reset",
        _wrap(_refused, csv.Error, "stream ended"),
        T,
        "csv.Error (0.9) raised from a refused connection (0.9): the inner cause wins",
    )
    family.add(
        "permission-from-timeout",
        _wrap(lambda: socket.create_connection(("127.0.0.1", 9), timeout=1e-9), PermissionError, "no access"),
        T,
        "PermissionError (0.9) from a connect timeout/refusal (0.9): the inner cause wins",
    )
    family.add(
        "decode-from-refused",
        _wrap(_refused, UnicodeError, "could not decode the feed"),
        T,
        "UnicodeError (0.9) from ECONNREFUSED (0.9): the inner cause wins",
    )
    family.add(
        "valueerror-from-json",
        _wrap(lambda: json.loads("{"), ValueError, "bad payload"),
        D,
        "same category either way: data",
    )
    _ = io
