"""Fixtures of the circuit tests: the storage tests' migrated databases, reused."""

from __future__ import annotations

import pytest

from airflow_errorguard.breaker import MemoryCircuitStorage
from airflow_errorguard.breaker.storage import CircuitStorage
from airflow_errorguard.storage.circuits import SqlCircuitStorage
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from tests.storage.conftest import (  # noqa: F401 - fixtures
    clock,
    db,
    mysql_storage_url,
    postgres_storage_url,
    sqlite_storage_url,
    storage_url,
)
from tests.storage.helpers import FakeClock, empty_tables


@pytest.fixture(
    params=[
        pytest.param("memory", marks=pytest.mark.unit),
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
        "mysql",  # optional: skipped when no MariaDB/MySQL server is reachable
    ]
)
def circuit_storage(request: pytest.FixtureRequest, clock: FakeClock) -> CircuitStorage:  # noqa: F811
    """Every circuit storage: memory, then SQL on SQLite, PostgreSQL and MariaDB."""
    if request.param == "memory":
        return MemoryCircuitStorage()
    url = str(request.getfixturevalue(f"{request.param}_storage_url"))
    empty_tables(url)
    return SqlCircuitStorage(Database(get_engine(url), conn_id="errorguard_test", clock=clock))
