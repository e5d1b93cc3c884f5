"""Produce the next chunk of work in a background thread while the caller consumes this one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(
    items: Iterable[T], *, depth: int = 2, name: str = "errorguard-prefetch"
) -> Generator[T, None, None]:
    """
    Iterate *items*, computed up to *depth* ahead in a daemon thread.

    Pays off when the consumer waits on I/O with the GIL released (a database round trip) while
    the producer runs Python (payload encoding): the two overlap. An exception in the producer is
    raised in the consumer; closing the iterator early stops and joins the thread.
    """
    chunks: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                chunks.put(value, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as err:
            put(_Failure(err))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            value = chunks.get()
            if value is _DONE:
                return
            if isinstance(value, _Failure):
                raise value.error
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
