"""Test harness that drives real Apache Airflow 3 in subprocesses.

- :class:`AirflowEnv`: one throwaway Airflow home + metadata DB (SQLite or PostgreSQL); runs the
  ``airflow`` CLI and ``dag.test()`` in child processes.
- :class:`RealAirflow`: api-server + scheduler (LocalExecutor) + dag-processor, where task code
  runs as in production (ORM blocked).

The pytest fixtures (``airflow_db``, ``airflow_db_postgres``, ``airflow_backend``) live in
``tests/conftest.py``.
"""

from tests.harness.airflow_env import AirflowEnv, sqlite_url, venv_bin
from tests.harness.real_airflow import RealAirflow, free_port

__all__ = ["AirflowEnv", "RealAirflow", "free_port", "sqlite_url", "venv_bin"]
