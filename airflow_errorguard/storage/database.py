"""
Transactions on errorguard's storage and the translation of driver errors.

:class:`Database` wraps an engine with the Airflow connection id it came from. Every repository
runs its statements through :meth:`Database.transaction` (its own transaction) or through a
:class:`~airflow_errorguard.storage.unit_of_work.UnitOfWork` (a shared one). Either way a
database failure leaves as :class:`~airflow_errorguard.exceptions.ErrorGuardStorageError`
naming the connection and chaining the driver's error, so callers can tell errorguard's storage
failing from the task's own failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import ErrorGuardStorageError
from airflow_errorguard.storage.engine import READ_ONLY_OPTION

Clock = Callable[[], datetime]

#: The connection :meth:`Database.pinned_reads` holds for the current context, with its engine.
_PINNED: ContextVar[tuple[Engine, Connection] | None] = ContextVar("errorguard_pinned_reads", default=None)


def utcnow() -> datetime:
    """The default clock: now, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def is_transient(err: BaseException) -> bool:
    """Whether a driver error may go away on its own (lost connection, timeout, lock, deadlock)."""
    if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
        return True
    return isinstance(err, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))


def _first_line(err: BaseException) -> str:
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else ''}".strip()


def storage_error(
    err: BaseException, *, conn_id: str, backend: str, operation: str
) -> ErrorGuardStorageError:
    """An :class:`ErrorGuardStorageError` for *err*; raise it ``from err``."""
    return ErrorGuardStorageError(
        f"errorguard storage on connection {conn_id!r} ({backend}) failed while {operation}: "
        f"{_first_line(err)}",
        conn_id=conn_id,
        transient=is_transient(err),
    )


@contextmanager
def translate_errors(conn_id: str, backend: str, operation: str) -> Iterator[None]:
    """Re-raise SQLAlchemy/driver errors raised inside as :class:`ErrorGuardStorageError`."""
    try:
        yield
    except sa_exc.SQLAlchemyError as err:
        raise storage_error(err, conn_id=conn_id, backend=backend, operation=operation) from err


class Transactional(Protocol):
    """What a repository needs: a transaction, the clock and names for messages."""

    conn_id: str
    backend: str
    clock: Clock

    def transaction(self, operation: str, *, write: bool = True) -> AbstractContextManager[Connection]:
        """A connection inside a transaction that commits when the block exits normally."""
        ...


class Database:
    """
    An engine plus the connection id it was built from.

    :param engine: Engine built by :mod:`airflow_errorguard.storage.engine` (any engine works).
    :param conn_id: Airflow connection id, used in error messages.
    :param clock: Returns the current aware UTC time (tests inject a fixed clock).
    """

    def __init__(self, engine: Engine, *, conn_id: str = DEFAULT_CONN_ID, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.conn_id = conn_id
        self.clock = clock
        self.backend = engine.dialect.name

    def __repr__(self) -> str:
        return f"Database(conn_id={self.conn_id!r}, backend={self.backend!r})"

    @contextmanager
    def transaction(self, operation: str, *, write: bool = True) -> Iterator[Connection]:
        """
        One transaction: committed when the block exits normally, rolled back otherwise.

        :param operation: What is being done, for error messages (``"inserting quarantine rows"``).
        :param write: ``False`` for read-only work (SQLite then does not take the write lock).
        :raises ErrorGuardStorageError: the database failed; the driver's error is chained.
        """
        pinned = _PINNED.get()
        if not write and pinned is not None and pinned[0] is self.engine:
            conn = pinned[1]
            with translate_errors(self.conn_id, self.backend, operation):
                if conn.in_transaction():  # a read inside a read: it joins the outer one
                    yield conn
                else:
                    with conn.begin():
                        yield conn
            return
        with translate_errors(self.conn_id, self.backend, operation), self.engine.connect() as conn:
            if not write:
                conn.execution_options(**{READ_ONLY_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def pinned_reads(self) -> Iterator[None]:
        """
        Run this block's read-only transactions on one connection, checked out (and pinged) once.

        A page that reads a dozen times pays one pool checkout and its liveness ping instead of a
        dozen. Each :meth:`transaction` stays its own transaction (a write in between, such as a
        rollup filling an hour, is seen by the reads after it); write transactions take their own
        connection as before. Nested calls reuse the outer connection.
        """
        pinned = _PINNED.get()
        if pinned is not None and pinned[0] is self.engine:
            yield
            return
        with translate_errors(self.conn_id, self.backend, "reading"), self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY_OPTION: True})
            token = _PINNED.set((self.engine, conn))
            try:
                yield
            finally:
                _PINNED.reset(token)
