"""
Tracebacks formatted once per error signature.

Formatting a traceback reads every frame's source line (``linecache``) and builds a
``TracebackException``: tens of microseconds, paid for each bad record. Records that fail the
same way fail at the same lines: the stack part of their traceback is equal and only the last
line, ``Type: message``, differs. :func:`format_traceback` keys the stack by the exception chain's
types and the code and line of every frame, formats it the first time and, after that, appends
only the record's own last line. The result is exactly what ``traceback.format_exception`` gives.
"""

from __future__ import annotations

import traceback as tb
from types import TracebackType
from typing import Any

#: Stacks kept (a few KB each); the cache is emptied when full.
MAX_STACKS = 512
#: stack key -> (formatted stack, the code objects its key names by ``id``: kept alive with it).
_stacks: dict[Any, tuple[str, tuple[Any, ...]]] = {}
#: ``Type`` as the last line names it, per class (bounded like the stacks).
_names: dict[type, str] = {}


def _frames(trace: TracebackType | None) -> tuple[Any, ...]:
    """The ``id`` of every frame's code object and its line. Ids (hashed at once, where a code
    object's hash reads its bytecode and constants) are safe keys: a stored entry keeps the code
    objects alive (:func:`_codes`), so no other code object can take one of their ids meanwhile."""
    frames: list[int] = []
    while trace is not None:
        frames += (id(trace.tb_frame.f_code), trace.tb_lineno)
        trace = trace.tb_next
    return tuple(frames)


def _codes(error: BaseException) -> tuple[Any, ...]:
    """Every code object the tracebacks of *error* and its chain run through (a superset of the key's)."""
    codes: list[Any] = []
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        trace = link.__traceback__
        while trace is not None:
            codes.append(trace.tb_frame.f_code)
            trace = trace.tb_next
        link = link.__cause__ if link.__cause__ is not None else link.__context__
    return tuple(codes)


def _key(error: BaseException) -> Any:
    """The stack key of *error*, or ``None`` when its traceback cannot be shared."""
    if getattr(error, "__notes__", None) is not None or isinstance(error, SyntaxError):
        return None  # lines after the message, or a message spread over lines
    if error.__cause__ is None and (error.__suppress_context__ or error.__context__ is None):
        return (type(error), _frames(error.__traceback__))  # a lone exception: what the loop gives
    key: list[Any] = [type(error), _frames(error.__traceback__)]
    link: BaseException | None = error
    seen = {id(error)}
    while link is not None:  # a chained exception's message is in the stack part: keyed by it
        cause = link.__cause__
        nxt = cause if cause is not None else (None if link.__suppress_context__ else link.__context__)
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        try:
            message = str(nxt)
        except Exception:
            return None
        key += [
            cause is not None,
            type(nxt),
            message,
            _frames(nxt.__traceback__),
            nxt.__notes__ if hasattr(nxt, "__notes__") else None,
        ]
        link = nxt
    return tuple(key)


def _name(cls: type) -> str:
    """``Type`` of the last line: the qualified name, with its module unless builtin or main."""
    name = _names.get(cls)
    if name is None:
        name, module = cls.__qualname__, cls.__module__
        if module not in ("__main__", "builtins"):
            name = f"{module if isinstance(module, str) else '<unknown>'}.{name}"
        if len(_names) >= MAX_STACKS:
            _names.clear()
        _names[cls] = name
    return name


def _last_line(error: BaseException, message: str | None) -> str:
    """``Type: message``, as :func:`traceback.format_exception_only` gives it (no notes here)."""
    if message is None:
        try:
            message = str(error)
        except Exception:
            return "".join(tb.format_exception_only(type(error), error))
    return f"{_name(type(error))}: {message}\n" if message else f"{_name(type(error))}\n"


def format_traceback(error: BaseException, message: str | None = None) -> str:
    """
    ``"".join(traceback.format_exception(error))``, its stack formatted once per signature.

    :param message: ``str(error)`` when the caller read it already (it is not read again).
    """
    stored: tuple[str, tuple[Any, ...]] | None = None
    try:
        key = _key(error)
        if key is not None:
            stored = _stacks.get(key)  # hashes the key once (a tuple does not keep its hash)
    except TypeError:  # an unhashable message or notes
        key = None
    if key is None:
        return "".join(tb.format_exception(error))
    last = _last_line(error, message)
    if stored is not None:
        return stored[0] + last
    full = "".join(tb.format_exception(error))
    if not full.endswith(last):
        return full
    if len(_stacks) >= MAX_STACKS:
        _stacks.clear()
    stack = full[: len(full) - len(last)]
    _stacks[key] = (stack, _codes(error))
    return stack + last
