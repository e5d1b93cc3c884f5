"""
``multiprocessing`` as pipelines fan work out: a process pool (forkserver) whose tasks fail,
time out or return what cannot be pickled; ``multiprocessing.connection`` and a ``BaseManager`` on
loopback with a wrong authkey, a refused port and a proxy whose call fails on the server side.
"""

from __future__ import annotations

import multiprocessing
import socket
import threading
from multiprocessing import connection, managers
from typing import Any

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.servers import free_port

_KEY = b"pipeline-secret"


def _unpicklable() -> Any:
    return threading.Lock()


def _slow() -> None:
    threading.Event().wait(5)


def _parse(text: str) -> int:
    return int(text)


class _Store:
    def get(self, key: str) -> str:
        return {"a": "1"}[key]


class _Manager(managers.BaseManager):
    pass


_Manager.register("store", _Store)


def _listen(listener: connection.Listener) -> None:
    try:
        conn = listener.accept()
        conn.close()
    except (OSError, multiprocessing.AuthenticationError):
        pass


def build(family: Family, closing: list[Any]) -> None:
    ctx = multiprocessing.get_context("forkserver")
    pool = ctx.Pool(1)
    closing.append(pool.terminate)
    family.add(
        "pool-unpicklable-result",
        lambda: pool.apply(_unpicklable),
        C,
        "MaybeEncodingError: the task returns an object that cannot be pickled (a code defect)",
    )
    family.add(
        "pool-unpicklable-task",
        lambda: pool.apply(lambda: 1),
        C,
        "a lambda sent to a process pool: cannot be pickled",
    )
    family.add(
        "pool-remote-value", lambda: pool.apply(_parse, ("x1",)), D, "the task's ValueError, re-raised"
    )
    # Last on this pool: the worker stays busy until the pool is terminated.
    family.add(
        "pool-timeout",
        lambda: pool.apply_async(_slow).get(timeout=0.05),
        T,
        "AsyncResult.get() timed out: the worker is still busy",
    )
    closed = ctx.Pool(1)
    closed.close()
    closing.append(closed.terminate)
    family.add("pool-closed", lambda: closed.apply(_parse, ("1",)), C, "a task sent to a closed pool")

    listener = connection.Listener(("127.0.0.1", 0), authkey=_KEY)
    closing.append(listener.close)
    thread = threading.Thread(target=_listen, args=(listener,), daemon=True)
    thread.start()
    family.add(
        "conn-authkey",
        lambda: connection.Client(listener.address, authkey=b"wrong"),
        C,
        "AuthenticationError: the authkey does not match",
    )
    thread.join(5)
    family.add(
        "conn-refused",
        lambda: connection.Client(("127.0.0.1", free_port()), authkey=_KEY),
        T,
        "nothing listens on the address (the coordinator is not up yet)",
    )
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    closing.append(taken.close)
    family.add(
        "listener-in-use",
        lambda: connection.Listener(taken.getsockname(), authkey=_KEY),
        {C, T},
        "the listener's port is taken",
    )
    family.add(
        "listener-bad-family",
        lambda: connection.Listener(("127.0.0.1", 0), family="AF_PIPE"),
        C,
        "an address family this platform lacks",
    )

    server = _Manager(address=("127.0.0.1", 0), authkey=_KEY, ctx=ctx)
    server.start()
    closing.append(server.shutdown)
    address = server.address

    def manager_key() -> None:
        _Manager(address=address, authkey=b"wrong").connect()

    family.add("manager-authkey", manager_key, C, "a manager client with the wrong authkey")

    def remote_key() -> None:
        client = _Manager(address=address, authkey=_KEY)
        client.connect()
        client.store().get("missing")  # type: ignore[attr-defined]

    family.add("manager-remote-error", remote_key, D, "the proxied call raised KeyError in the manager")

    def unknown_type() -> None:
        client = _Manager(address=address, authkey=_KEY)
        client.connect()
        client._create("nothing")  # type: ignore[attr-defined]

    family.add("manager-unknown-type", unknown_type, C, "a typeid the manager never registered")
    family.add(
        "manager-refused",
        lambda: _Manager(address=("127.0.0.1", free_port()), authkey=_KEY).connect(),
        T,
        "the manager is not running (yet)",
    )
    family.add(
        "start-method",
        lambda: multiprocessing.get_context("vfork"),
        C,
        "a start method that does not exist",
    )

    def semaphore() -> None:
        sem = ctx.BoundedSemaphore(1)
        sem.release()

    family.add("semaphore-over", semaphore, {C, S}, "a bounded semaphore released too often (a defect)")
