"""Real Airflow with the CeleryExecutor on loopback: :class:`RealAirflow` plus Celery workers.

The topology of ``docker-compose.airflow.yml`` without containers: api-server, scheduler and
dag-processor as in :class:`RealAirflow`, the machine's Redis as Celery broker and result backend
(one database index of its own, flushed on exit), and N ``airflow celery worker`` processes,
each with its own Celery hostname and its own Airflow hostname (what task instances record as
``hostname``: every worker runs on this one machine, so the default, the FQDN, would not tell
them apart).

Usage::

    with CeleryAirflow(airflow_env, redis_db=CeleryAirflow.free_redis_db()) as af:
        run_id = af.trigger("my_dag")
        af.wait_for_run("my_dag", run_id)
        af.ti_hostnames("my_dag", run_id)  # {"task_id": "worker-1", ...}
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import redis

from tests.harness.airflow_env import AirflowEnv
from tests.harness.real_airflow import RealAirflow

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Environment variable the worker's hostname callable reads (set per worker process).
WORKER_HOSTNAME_VAR = "ERRORGUARD_TEST_WORKER_HOSTNAME"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def worker_hostname() -> str:
    """``[core] hostname_callable`` of the harness: the worker's own name, else the FQDN."""
    return os.environ.get(WORKER_HOSTNAME_VAR) or socket.getfqdn()


class CeleryAirflow(RealAirflow):
    """api-server + scheduler + dag-processor (CeleryExecutor) + ``workers`` Celery workers.

    :param airflow_env: A migrated Airflow home (use PostgreSQL: SQLite cannot serve several
        processes writing at once).
    :param redis_db: Redis database index for broker and results; flushed on exit.
    :param workers: How many ``airflow celery worker`` processes (named ``worker-1``...).
    :param concurrency: Task slots per worker.
    """

    def __init__(
        self,
        airflow_env: AirflowEnv,
        *,
        redis_db: int,
        workers: int = 2,
        concurrency: int = 1,
        extra_env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.redis_db = redis_db
        self.redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"
        self.worker_names = [f"worker-{n}" for n in range(1, workers + 1)]
        home = airflow_env.home
        self.PROCESSES = RealAirflow.PROCESSES + tuple(
            (
                name,
                (
                    "celery",
                    "worker",
                    "--concurrency",
                    str(concurrency),
                    "--celery-hostname",
                    f"{name}@%h",
                    "--skip-serve-logs",
                    "--pid",
                    str(home / f"{name}.pid"),
                    "--without-mingle",
                    "--without-gossip",
                ),
            )
            for name in self.worker_names
        )
        pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        celery_env = {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": self.redis_url,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(concurrency),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.worker_hostname",
            "PYTHONPATH": pythonpath,
            **(extra_env or {}),
        }
        super().__init__(airflow_env, extra_env=celery_env, **kwargs)

    def __enter__(self) -> CeleryAirflow:
        self.start()
        return self

    @staticmethod
    def free_redis_db(candidates: range = range(15, 7, -1)) -> int:
        """The first empty Redis database index among ``candidates`` (other tests may use some)."""
        for index in candidates:
            client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=index)
            try:
                if client.dbsize() == 0:
                    return index
            finally:
                client.close()
        raise RuntimeError(f"no empty Redis database among {list(candidates)}")

    def process_env(self, name: str) -> dict[str, str]:
        if name in self.worker_names:
            return {**self.env, WORKER_HOSTNAME_VAR: name}
        return self.env

    def _wait_healthy(self, deadline: float) -> None:
        super()._wait_healthy(deadline)
        self.wait_workers_ready(deadline)

    def wait_workers_ready(self, deadline: float) -> None:
        """Until every worker answers a Celery ping through the broker."""
        from celery import Celery

        app = Celery(broker=self.redis_url, backend=self.redis_url)
        expected = {f"{name}@{socket.gethostname()}" for name in self.worker_names}
        answered: set[str] = set()
        try:
            while True:
                self._check_alive()
                replies = app.control.ping(timeout=1.0) or []
                answered = {name for reply in replies for name in reply}
                if expected <= answered:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"Celery workers {sorted(expected - answered)} not ready; "
                        f"answered: {sorted(answered)}\n" + self.process_logs()
                    )
                time.sleep(1.0)
        finally:
            app.close()

    def stop(self, check: bool = True) -> None:
        try:
            super().stop(check=check)
        finally:
            client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=self.redis_db)
            try:
                client.flushdb()
            finally:
                client.close()

    def ti_hostnames(self, dag_id: str, run_id: str) -> dict[str, str]:
        """``{task_id: hostname}`` of a run's task instances, from the metadata database."""
        rows = self.airflow_env.query(
            "SELECT task_id, map_index, hostname FROM task_instance WHERE dag_id = :dag AND run_id = :run",
            dag=dag_id,
            run=run_id,
        )
        return {
            r["task_id"] if r["map_index"] < 0 else f"{r['task_id']}[{r['map_index']}]": r["hostname"]
            for r in rows
        }
