"""errno, type and message signals from real standard-library failures (sockets, files, parsers)."""

from __future__ import annotations

import datetime
import decimal
import errno
import importlib
import json
import socket
import struct
from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from tests.unit.helpers import assert_verdict, closed_port

pytestmark = pytest.mark.unit

T, D, C, S = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION, ErrorCategory.SYSTEM


def raised(fn: Callable[[], object]) -> BaseException:
    """The exception *fn* really raises."""
    try:
        fn()
    except BaseException as exc:
        return exc
    raise AssertionError(f"{fn} did not raise")


def connect_refused() -> BaseException:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        return raised(lambda: sock.connect(("127.0.0.1", closed_port())))
    finally:
        sock.close()


def test_connection_refused(classifier: Classifier) -> None:
    exc = connect_refused()
    assert isinstance(exc, ConnectionRefusedError)
    result = classifier.classify(exc)
    assert_verdict(
        result, T, "builtin:errno:ECONNREFUSED", reason_has=("ConnectionRefusedError (ECONNREFUSED)",)
    )
    assert result.signals["errno"] == errno.ECONNREFUSED
    assert classifier.classify(connect_refused()).fingerprint == result.fingerprint


def test_connection_reset_by_peer(classifier: Classifier) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname(), timeout=5)
    accepted, _ = server.accept()
    # SO_LINGER 0: close() sends RST, so the peer's next read is "connection reset".
    accepted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    accepted.close()
    try:
        exc = raised(lambda: client.recv(1) or client.recv(1))
    finally:
        client.close()
        server.close()
    assert isinstance(exc, ConnectionResetError)
    assert_verdict(classifier.classify(exc), T, "builtin:errno:ECONNRESET", reason_has=("ECONNRESET",))


def test_broken_pipe(classifier: Classifier) -> None:
    left, right = socket.socketpair()
    right.close()
    try:
        exc = raised(lambda: [left.send(b"x" * 65536) for _ in range(64)])
    finally:
        left.close()
    assert isinstance(exc, BrokenPipeError)
    assert_verdict(
        classifier.classify(exc), T, "builtin:errno:EPIPE", reason_has=("BrokenPipeError (EPIPE)",)
    )


def test_socket_read_timeout(classifier: Classifier) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname(), timeout=0.05)
    try:
        exc = raised(lambda: client.recv(1))  # the server never writes
    finally:
        client.close()
        server.close()
    assert isinstance(exc, TimeoutError)
    assert_verdict(classifier.classify(exc), T, "builtin:type:TimeoutError", reason_has=("is a timeout",))


#: What a resolver may answer for a name under .invalid, depending on the host's DNS setup.
GAI_OUTCOMES = {
    socket.EAI_NONAME: (C, "host name is not known"),  # a resolver answered: no such name
    socket.EAI_AGAIN: (T, "temporary failure"),  # no resolver reachable (sandbox)
    socket.EAI_FAIL: (T, "non-recoverable failure"),
    getattr(socket, "EAI_NODATA", -5): (C, "host has no address"),
}


def test_getaddrinfo_of_an_invalid_name(classifier: Classifier) -> None:
    exc = raised(lambda: socket.getaddrinfo("no-such-host.invalid", 443))
    assert isinstance(exc, socket.gaierror)
    assert exc.errno in GAI_OUTCOMES, exc
    category, phrase = GAI_OUTCOMES[exc.errno]
    result = classifier.classify(exc)
    assert_verdict(result, category, f"builtin:errno:EAI {exc.errno}", reason_has=(phrase,))
    assert result.signals["errno"] == exc.errno
    again = classifier.classify(raised(lambda: socket.getaddrinfo("other-host-42.invalid", 80)))
    assert again.fingerprint == result.fingerprint


def test_open_missing_file(classifier: Classifier, tmp_path: Path) -> None:
    first = raised(lambda: open(tmp_path / "input-2024-01-01.csv"))  # noqa: SIM115
    second = raised(lambda: open(tmp_path / "other" / "input-2025-12-31.csv"))  # noqa: SIM115
    result = classifier.classify(first)
    assert_verdict(
        result, C, "builtin:errno:ENOENT", reason_has=("FileNotFoundError (ENOENT)", "does not exist")
    )
    assert classifier.classify(second).fingerprint == result.fingerprint
    other = raised(lambda: open(tmp_path))  # noqa: SIM115 - a directory
    assert isinstance(other, IsADirectoryError)
    # The class (0.85) is more specific than its errno, EISDIR (0.8).
    assert_verdict(classifier.classify(other), C, "builtin:type:IsADirectoryError")
    assert classifier.classify(other).signals["errno"] == errno.EISDIR
    assert classifier.classify(other).fingerprint != result.fingerprint


def test_json_decode_error(classifier: Classifier) -> None:
    first = raised(lambda: json.loads('{"id": 1,, "name": "x"}'))
    second = raised(lambda: json.loads('{"id": 1234567,, "name": "a much longer name"}'))
    result = classifier.classify(first)
    assert_verdict(
        result,
        D,
        "builtin:type:json.decoder.JSONDecodeError",
        reason_has=("not valid JSON",),
        min_confidence=0.9,
    )
    assert classifier.classify(second).fingerprint == result.fingerprint
    assert classifier.classify(raised(lambda: json.loads(""))).fingerprint != result.fingerprint


def test_decimal_invalid_operation(classifier: Classifier) -> None:
    exc = raised(lambda: decimal.Decimal("12,50 EUR"))
    assert isinstance(exc, decimal.InvalidOperation)
    assert_verdict(
        classifier.classify(exc),
        D,
        "builtin:type:decimal.InvalidOperation",
        reason_has=("not a valid decimal",),
    )


def test_strptime_mismatch_is_decided_by_the_message(classifier: Classifier) -> None:
    first = raised(lambda: datetime.datetime.strptime("2024-13-45", "%Y-%m-%d"))
    second = raised(lambda: datetime.datetime.strptime("31/01/2024", "%Y-%m-%d"))
    result = classifier.classify(second)
    # A plain ValueError (0.7) refined by the message pattern (0.85).
    assert_verdict(result, D, "builtin:message:", reason_has=("does not match format",), min_confidence=0.85)
    assert isinstance(first, ValueError)
    assert classifier.classify(
        raised(lambda: datetime.datetime.strptime("01/02/2023", "%Y-%m-%d"))
    ).fingerprint == (result.fingerprint)


def test_int_of_garbage(classifier: Classifier) -> None:
    exc = raised(lambda: int("12a"))
    assert_verdict(classifier.classify(exc), D, "builtin:message:", reason_has=("invalid literal",))


def test_pendulum_parse(classifier: Classifier) -> None:
    first = raised(lambda: pendulum.parse("not a date"))
    second = raised(lambda: pendulum.parse("tomorrow-ish 42"))
    result = classifier.classify(first)
    assert_verdict(
        result, D, "builtin:type:pendulum.parsing.exceptions.ParserError", reason_has=("cannot be parsed",)
    )
    assert classifier.classify(second).category is D


def test_bytes_decode(classifier: Classifier) -> None:
    first = raised(lambda: b"caf\xe9 au lait".decode("utf-8"))
    second = raised(lambda: b"na\xefve and more text".decode("utf-8"))
    result = classifier.classify(first)
    assert_verdict(result, D, "builtin:type:UnicodeDecodeError", reason_has=("expected encoding",))
    assert classifier.classify(second).fingerprint == result.fingerprint


@pytest.mark.parametrize(
    ("make", "category", "rule"),
    [
        (lambda: {}["customer_id"], D, "builtin:type:KeyError"),
        # "list index out of range" refines IndexError (0.7)
        (lambda: [][3], D, "builtin:message:"),  # noqa: PLE0643 - raising is the point
        (lambda: 1 / 0, D, "builtin:type:ZeroDivisionError"),
        (
            lambda: importlib.import_module("no_such_module_for_errorguard"),
            C,
            "builtin:type:ModuleNotFoundError",
        ),
        (lambda: compile("def f(:\n", "<dag>", "exec"), C, "builtin:type:SyntaxError"),
        (lambda: undefined_name_for_errorguard, C, "builtin:type:NameError"),  # type: ignore[name-defined]  # noqa: F821
    ],
)
def test_builtin_exception_types(make, category, rule, classifier: Classifier) -> None:
    exc = raised(make)
    result = classifier.classify(exc)
    assert_verdict(result, category, rule, reason_has=(type(exc).__name__,))


def test_memory_and_interpreter_exits(classifier: Classifier) -> None:
    assert_verdict(classifier.classify(MemoryError()), S, "builtin:type:MemoryError", min_confidence=0.95)
    assert_verdict(classifier.classify(KeyboardInterrupt()), S, "builtin:type:KeyboardInterrupt")
    assert_verdict(classifier.classify(SystemExit(3)), S, "builtin:type:SystemExit")
    disk_full = OSError(errno.ENOSPC, "No space left on device", "/data/out.parquet")
    assert_verdict(classifier.classify(disk_full), S, "builtin:errno:ENOSPC", reason_has=("ENOSPC",))


def test_message_patterns_refine_broad_classes(classifier: Classifier) -> None:
    class ClientFailure(Exception):
        pass

    rate = classifier.classify(ClientFailure("429: Too Many Requests, slow down"))
    assert_verdict(rate, T, "builtin:message:", reason_has=("rate limiting", "ClientFailure"))
    auth = classifier.classify(ClientFailure("Login failed for user 'etl'"))
    assert_verdict(auth, C, "builtin:message:", reason_has=("authentication failed",))
    full = classifier.classify(ClientFailure("write failed: No space left on device"))
    assert_verdict(full, S, "builtin:message:", reason_has=("ran out of a resource",))
    nothing = classifier.classify(ClientFailure("the frobnicator declined"))
    assert nothing.category is ErrorCategory.UNKNOWN
    assert nothing.rule == "none"
    assert nothing.confidence == 0.0
    assert "ClientFailure" in nothing.reason
