"""The storage the UI reads and changes: one :class:`ErrorGuardHook` per api-server process."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook

_lock = threading.Lock()


@cache
def _make_hook() -> ErrorGuardHook:
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook

    return ErrorGuardHook()


def get_hook() -> ErrorGuardHook:
    """
    The hook for ``errorguard_default`` (Airflow's metadata database when that connection is not
    defined), created on first use.
    """
    with _lock:
        return _make_hook()


def pinned_reads() -> AbstractContextManager[None]:
    """
    A block whose reads share one connection: a page that reads a dozen times checks out (and
    pings) a pooled connection once (``Database.pinned_reads``).
    """
    return get_hook().database.pinned_reads()
