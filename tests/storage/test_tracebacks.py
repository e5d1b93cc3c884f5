"""Tracebacks formatted once per stack are exactly what ``traceback.format_exception`` gives."""

from __future__ import annotations

import traceback

import pytest

from airflow_errorguard.storage import signatures
from airflow_errorguard.storage.tracebacks import format_traceback

pytestmark = pytest.mark.unit


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


def fail(n: int) -> None:
    if n % 5 == 0:
        raise ValueError(f"bad value {n}")
    if n % 5 == 1:
        raise KeyError(n)
    if n % 5 == 2:
        try:
            {}["missing"]
        except KeyError as err:
            raise TypeError(f"wrapped {n}") from err
    if n % 5 == 3:
        raise Unprintable()
    try:
        raise OSError(n, "inner")
    except OSError:
        raise ValueError("" if n % 2 else "two\nlines") from None


@pytest.mark.parametrize("rounds", [1, 3])
def test_every_traceback_is_the_one_python_formats(rounds: int) -> None:
    for _ in range(rounds):  # the second round reads the cached stacks
        for n in range(50):
            try:
                fail(n)
            except Exception as exc:
                assert format_traceback(exc) == "".join(traceback.format_exception(exc)), n


def test_notes_and_chained_messages_are_never_shared() -> None:
    for n in range(3):
        try:
            try:
                raise KeyError(f"inner {n}")
            except KeyError:
                raise ValueError("outer")  # noqa: B904 - the implicit context is the point
        except ValueError as exc:
            assert f"inner {n}" in format_traceback(exc)
        try:
            raise ValueError("noted")
        except ValueError as exc:
            exc.add_note(f"note {n}")
            assert format_traceback(exc).endswith(f"ValueError: noted\nnote {n}\n")


def test_a_template_and_a_message_give_the_traceback_back() -> None:
    trace = "Traceback (most recent call last):\n  File 'x', line 1\nValueError: bad 7\n"
    template, at_end = signatures.split_traceback(trace, "bad 7")
    assert at_end and template == trace[: -len("bad 7\n")]
    assert signatures.full_traceback(template, at_end, "bad 7") == trace
    assert signatures.split_traceback(trace, "other") == (trace, False)
    assert signatures.split_traceback(None, "m") == (None, False)
    assert signatures.full_traceback(trace, False, "whatever") == trace
    same = ("data", "builtins.ValueError", "fp", "why", template, True)
    assert signatures.signature_key(same) == signatures.signature_key(tuple(same))  # type: ignore[arg-type]
    assert signatures.signature_key(same) != signatures.signature_key((*same[:5], False))
    assert len(signatures.signature_key(same)) == 32
