"""Tracebacks formatted once per stack are exactly what ``traceback.format_exception`` gives."""

from __future__ import annotations

import gc
import traceback
from typing import Any

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


def test_a_message_read_already_gives_the_same_traceback() -> None:
    for _ in range(2):
        for n in range(50):
            try:
                fail(n)
            except Exception as exc:
                try:
                    message: str | None = str(exc)
                except RuntimeError:
                    message = None  # the caller could not read it: read (and fail) again
                assert format_traceback(exc, message) == "".join(traceback.format_exception(exc)), n


def test_a_quarantine_item_carries_the_capped_message_and_the_whole_traceback() -> None:
    from airflow_errorguard.storage.quarantine_types import MESSAGE_LIMIT, QuarantineItem

    long = "x" * (MESSAGE_LIMIT + 10)
    for text in (long, "short"):
        try:
            raise ValueError(text)
        except ValueError as exc:
            item = QuarantineItem.from_exception("k", 1, exc)
            assert item.error_message == text[:MESSAGE_LIMIT]
            assert item.error_type == "builtins.ValueError"
            assert item.traceback == "".join(traceback.format_exception(exc))
    try:
        raise Unprintable()
    except Unprintable as exc:
        item = QuarantineItem.from_exception("k", 1, exc)
        assert item.error_message == "<str() failed: RuntimeError>"
        assert item.traceback == "".join(traceback.format_exception(exc))


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
    assert len(signatures.signature_key(same)) == 16


def test_a_cause_with_notes_is_formatted_whole() -> None:
    for n in range(2):  # its notes (a list) cannot key a stack: formatted in full each time
        try:
            try:
                raise KeyError("inner")
            except KeyError as err:
                err.add_note(f"note {n}")
                raise ValueError("outer") from err
        except ValueError as exc:
            assert format_traceback(exc, "outer") == "".join(traceback.format_exception(exc))
            assert f"note {n}" in format_traceback(exc)


def test_code_objects_made_and_dropped_never_share_a_cached_stack() -> None:
    # Stacks are keyed by code object ids: a cached entry keeps its code objects alive, so a new
    # function (whose code could otherwise take a freed id, same size here) never reads another's.
    for n in range(30):
        space: dict[str, Any] = {}
        exec(compile("def fail():\n    raise ValueError('v')\n", f"<gen{n:04d}>", "exec"), space)
        try:
            space["fail"]()
        except ValueError as exc:
            assert format_traceback(exc) == "".join(traceback.format_exception(exc)), n
        space.clear()
        gc.collect()


def test_items_built_field_by_field_equal_constructed_ones() -> None:
    import dataclasses

    from airflow_errorguard.storage.quarantine_types import QuarantineItem, _built

    assert QuarantineItem.__slots__ == tuple(f.name for f in dataclasses.fields(QuarantineItem))
    fields = ("k", {"a": 1}, "data", "builtins.ValueError", "m", "tb", "f00d", "r")
    assert _built(fields) == QuarantineItem(*fields)
    try:
        raise ValueError("bad 7")
    except ValueError as exc:
        item = QuarantineItem.from_exception("k", 1, exc)
    assert dataclasses.asdict(item) == dataclasses.asdict(QuarantineItem(**dataclasses.asdict(item)))
