"""
The guarded-processing hot path: a checkpoint advanced once per batch over a pinned connection.

Guarded processing commits its checkpoint after every batch. Through the pool and a unit of work
that costs ~150 µs of Python per commit (checkout, ``BEGIN``, an execution context, commit,
checkin) and, after a batch has evicted it from the CPU caches, several times that: enough for a
fast transform to notice. :class:`PinnedCheckpointWriter` keeps one DBAPI connection for the run,
in autocommit mode, and runs the same compare-and-swap ``UPDATE`` as
:meth:`~airflow_errorguard.storage.checkpoints.CheckpointRepository.save`, compiled once, as a
single statement (atomic on its own, so it needs no transaction around it).

It is an optimisation, never the path that decides an outcome: whenever it is not sure the row
advanced (a driver error, a lost connection, no row at the expected version) :meth:`advance`
returns ``False`` and the caller commits through the unit of work, which retries transient
failures and raises errorguard's own errors (a conflict, a storage error naming the connection).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.pool import NullPool, QueuePool

from airflow_errorguard.storage.checkpoints import UPDATE_AT_VERSION, CheckpointKey, encode_state
from airflow_errorguard.storage.payload import clean_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect, Engine

    from airflow_errorguard.storage.database import Database

log = logging.getLogger(__name__)


class _Statement:
    """``UPDATE_AT_VERSION`` compiled for one dialect, with its bind processors."""

    __slots__ = ("names", "processors", "sql")

    def __init__(self, dialect: Dialect) -> None:
        compiled = UPDATE_AT_VERSION.compile(dialect=dialect)
        self.sql = compiled.string
        # Positional paramstyles (SQLite's qmark) take a sequence in this order; named ones a dict.
        self.names: tuple[str, ...] | None = tuple(compiled.positiontup or ()) if dialect.positional else None
        self.processors = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }

    def parameters(self, values: dict[str, Any]) -> Any:
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        return values if self.names is None else [values[name] for name in self.names]


def can_pin(engine: Engine) -> bool:
    """
    Whether *engine* can lend a connection of its own for a run: not an in-memory SQLite
    database, whose pool hands every caller the one connection that holds the data.
    """
    return isinstance(engine.pool, (QueuePool, NullPool))


class PinnedCheckpointWriter:
    """
    Advances one checkpoint by compare-and-swap over a connection kept for the run.

    :param database: errorguard's storage.
    :param key: The checkpoint this writer advances.
    """

    def __init__(self, database: Database, key: CheckpointKey) -> None:
        self._database = database
        self._key = key
        self._connection: Any = None  # the DBAPI connection advance() writes on
        self._borrowed: Any = None  # its pool proxy, when the pool gets it back afterwards
        self._statement: _Statement | None = None
        self.enabled = can_pin(database.engine)

    def advance(
        self, *, state: Any, position: str | int | None, expected_version: int, updated_by: str | None
    ) -> bool:
        """
        Store *state* and *position* at ``expected_version + 1`` if the checkpoint is at
        *expected_version*; ``True`` when it did, ``False`` when the caller must commit the usual way.
        """
        if not self.enabled or expected_version < 1:
            return False
        key = self._key
        values = {
            "k_dag_id": key.dag_id,
            "k_task_id": key.task_id,
            "k_run_id": key.run_id,
            "k_map_index": key.map_index,
            "k_name": key.name,
            "k_version": expected_version,
            "new_state": encode_state(key, state),  # ValueError for bad state, as on the usual path
            "new_position": clean_text(position, 1024),
            "new_version": expected_version + 1,
            "new_updated_at": self._database.clock(),
            "new_updated_by": clean_text(updated_by, 250),
        }
        try:
            connection = self._pinned()
            statement = self._compiled()
            cursor = connection.cursor()
            try:
                cursor.execute(statement.sql, statement.parameters(values))
                matched = cursor.rowcount
            finally:
                cursor.close()
        except Exception as err:  # the unit of work retries, translates and reports it
            log.debug("errorguard: pinned checkpoint write failed, using a unit of work: %r", err)
            self.close(broken=True)
            return False
        return matched == 1

    def close(self, *, broken: bool = False) -> None:
        """
        Give the connection back (the next :meth:`advance` takes another): to the pool when it
        was borrowed unchanged, unless *broken*; otherwise closed.
        """
        connection, borrowed = self._connection, self._borrowed
        self._connection = self._borrowed = None
        try:
            if borrowed is not None:
                borrowed.invalidate() if broken else borrowed.close()
            elif connection is not None:
                connection.close()
        except Exception as err:  # already broken: nothing left to release
            log.debug("errorguard: releasing the pinned checkpoint connection failed: %r", err)

    def _pinned(self) -> Any:
        if self._connection is None:
            engine = self._database.engine
            pooled = engine.raw_connection()
            connection = pooled.dbapi_connection
            if connection is None:  # pragma: no cover - a checked-out connection has one
                pooled.close()
                raise RuntimeError("the pool lent no DBAPI connection")
            if engine.dialect.name == "sqlite" and connection.isolation_level is None:
                # pysqlite as errorguard's engines set it up: every statement outside an explicit
                # BEGIN commits on its own already; borrow it and give it back unchanged.
                self._borrowed = pooled
            else:
                # Out of the pool for good: autocommit must not leak to its next borrower.
                pooled.detach()
                try:
                    engine.dialect.set_isolation_level(connection, "AUTOCOMMIT")
                except BaseException:
                    connection.close()
                    raise
            self._connection = connection
        return self._connection

    def _compiled(self) -> _Statement:
        if self._statement is None:
            self._statement = _compiled_for(self._database.engine.dialect)
        return self._statement


@functools.lru_cache(maxsize=16)
def _compiled_for(dialect: Dialect) -> _Statement:
    """Compiled once per engine (a guarded task builds a writer per run)."""
    return _Statement(dialect)
