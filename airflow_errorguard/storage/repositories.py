"""
``Repositories``: every errorguard repository over one :class:`Database`, built on first use.

:class:`~airflow_errorguard.hooks.errorguard.ErrorGuardHook` (an Airflow connection) and the
CLI's URL storage (no Airflow) both are one; they only differ in how they get the database.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TypeVar

from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.checkpoints import CheckpointRepository
from airflow_errorguard.storage.circuits import SqlCircuitStorage
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.events import ErrorEventRepository
from airflow_errorguard.storage.incidents import IncidentRepository
from airflow_errorguard.storage.orphans import OrphanRepository
from airflow_errorguard.storage.payload import PayloadPolicy
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.unit_of_work import UnitOfWork, run_in_unit_of_work

T = TypeVar("T")


class Repositories:
    """Subclasses provide ``database`` (and may provide ``payload_policy``, default: none)."""

    @property
    def database(self) -> Database:
        """The database the repositories run on."""
        raise NotImplementedError

    @property
    def payload_policy(self) -> PayloadPolicy | None:
        """How quarantined payloads are stored (``None``: the storage layer's defaults)."""
        return None

    @cached_property
    def quarantine(self) -> QuarantineRepository:
        return QuarantineRepository(self.database, self.payload_policy)

    @cached_property
    def checkpoints(self) -> CheckpointRepository:
        return CheckpointRepository(self.database)

    @cached_property
    def events(self) -> ErrorEventRepository:
        return ErrorEventRepository(self.database)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.database)

    @cached_property
    def circuits(self) -> SqlCircuitStorage:
        """Shared circuit breaker state (see :mod:`airflow_errorguard.circuits.registry`)."""
        return SqlCircuitStorage(self.database)

    @cached_property
    def incidents(self) -> IncidentRepository:
        return IncidentRepository(self.database)

    @cached_property
    def orphans(self) -> OrphanRepository:
        """Quarantine rows and checkpoints whose DAG run was deleted."""
        return OrphanRepository(self.database)

    def unit_of_work(self) -> UnitOfWork:
        """A unit of work: ``with repos.unit_of_work() as uow: ...`` commits everything or nothing."""
        return UnitOfWork(self.database, self.payload_policy)

    def run_in_unit_of_work(self, work: Callable[[UnitOfWork], T], *, attempts: int = 3) -> T:
        """``work(uow)`` in a unit of work, repeated on transient database failures."""
        return run_in_unit_of_work(self.database, work, policy=self.payload_policy, attempts=attempts)
