"""
An exact in-process memo of sums over the hourly rollup's finished hours.

The pictures over 7 and 30 days sum tens of thousands of hourly rows per request; those hours do
not change unless something recounts them (a fill, a purge, an orphan removal), and every recount
locks the source's ``errorguard_rollup_state`` row first, which bumps its ``generation``
(:func:`.rollup.lock`). A sum read after seeing generation *g* is kept under *g* and served while
the row still says *g*: one primary-key read per request instead of the sum. The generation is
read before the sum, so a sum is never kept under a generation newer than the rows it counted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import Connection, select

from airflow_errorguard.storage.tables.hourly_count import rollup_state_table as s

T = TypeVar("T")
#: Sums kept per process (the least recently used go first).
SIZE = 256

_lock = threading.Lock()
_memo: OrderedDict[Hashable, tuple[int, object]] = OrderedDict()


def generation(conn: Connection, source: str) -> int | None:
    """
    The state row's generation; ``None`` (nothing is kept) when there is no row yet or it was
    never bumped (``0``: created by a migration, which a reset database would repeat).
    """
    return conn.execute(select(s.c.generation).where(s.c.source == source)).scalar() or None


def remembered(conn: Connection, source: str, key: Hashable, compute: Callable[[], T]) -> T:
    """
    *compute()*'s result for *key* (which must say everything the sum depends on except the rows),
    computed again only when *source*'s rollup has been recounted since it was kept. The caller
    must not change the result.
    """
    current = generation(conn, source)
    full = (conn.engine.url.render_as_string(hide_password=True), source, key)
    if current is not None:
        with _lock:
            kept = _memo.get(full)
            if kept is not None and kept[0] == current:
                _memo.move_to_end(full)
                return kept[1]  # type: ignore[return-value]
    value = compute()
    if current is not None:
        with _lock:
            _memo[full] = (current, value)
            _memo.move_to_end(full)
            while len(_memo) > SIZE:
                _memo.popitem(last=False)
    return value


def clear() -> None:
    """Forget every kept sum (tests)."""
    with _lock:
        _memo.clear()
