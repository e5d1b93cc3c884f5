"""A throwaway Airflow installation (home, metadata DB, dags folder) driven through subprocesses.

Nothing here imports Airflow: every Airflow action runs in a child process of the venv's
interpreter with :attr:`AirflowEnv.env`, so pytest's own process never picks up Airflow's
import-time configuration, and the same code works against SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_errorguard.compat import (
    ERRORGUARD_DB_MANAGER,
    HAS_NATIVE_RETRY_POLICY,
    NEEDS_EXTERNAL_DB_MANAGERS_SETTING,
)

HARNESS_DIR = Path(__file__).resolve().parent
RUN_DAG_TEST = HARNESS_DIR / "run_dag_test.py"
DAG_TEST_RESULT_KIND = "errorguard.dag_test.result"

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"

# Variables of the calling environment that would point a child at some other Airflow setup.
_INHERITED_AIRFLOW_VARS_TO_DROP = (
    "AIRFLOW__CORE__UNIT_TEST_MODE",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET",
    "AIRFLOW_CONFIG",
)


def venv_bin(name: str) -> str:
    """Path of a console script next to the running interpreter (the project's .venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name!r} is neither next to {sys.executable} nor on PATH")
    return found


def sqlite_url(home: Path) -> str:
    """``sqlite:////abs/path/airflow.db`` for a metadata DB inside ``home``."""
    return f"sqlite:///{(home / 'airflow.db').resolve()}"


def base_airflow_env(home: Path, sql_alchemy_conn: str) -> dict[str, str]:
    """The Airflow settings every harness subprocess gets, keyed as environment variables."""
    home = home.resolve()
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_alchemy_conn,
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH": str(home / "bundles"),
        # SimpleAuthManager with a fixed admin:admin user (password file written by AirflowEnv).
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "simple_auth_passwords.json"),
        # Airflow 3.1 ignores the provider-info ``db-managers`` key (docs/compatibility.md).
        **(
            {"AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS": ERRORGUARD_DB_MANAGER}
            if NEEDS_EXTERNAL_DB_MANAGERS_SETTING
            else {}
        ),
    }


def _tail(text: str | bytes | None, limit: int = 6000) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return text if len(text) <= limit else "...\n" + text[-limit:]


@dataclass
class AirflowEnv:
    """One Airflow home with its metadata DB; run Airflow in subprocesses against it."""

    home: Path
    sql_alchemy_conn: str
    dags_folder: Path
    env: dict[str, str] = field(repr=False)

    @classmethod
    def create(
        cls,
        home: Path,
        sql_alchemy_conn: str | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> AirflowEnv:
        """Lay out ``home`` (dags/, logs/, password file) and build the subprocess environment.

        ``sql_alchemy_conn`` defaults to a SQLite file inside ``home``.  For a PostgreSQL URL the
        async URL (``[database] sql_alchemy_conn_async``) is set to the same DB with the
        ``psycopg`` (v3) driver.  The environment is the caller's ``os.environ`` with the Airflow
        settings above laid over it, then ``extra_env``.
        """
        home = home.resolve()
        conn = sql_alchemy_conn or sqlite_url(home)
        overrides = base_airflow_env(home, conn)
        # One JWT secret for every process of this home (api-server signs, workers present).
        overrides["AIRFLOW__API_AUTH__JWT_SECRET"] = secrets.token_hex(32)
        if conn.startswith("postgresql"):
            # Airflow also builds an async engine; from a postgresql URL it picks asyncpg, which
            # is not installed.  psycopg (3) is, and SQLAlchemy drives it asynchronously.
            overrides["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = (
                "postgresql+psycopg" + conn[conn.index(":") :]
            )
        overrides.update(extra_env or {})
        env = {k: v for k, v in os.environ.items() if k not in _INHERITED_AIRFLOW_VARS_TO_DROP}
        env.update(overrides)
        dags = Path(overrides["AIRFLOW__CORE__DAGS_FOLDER"])
        for folder in (home, dags, home / "logs"):
            folder.mkdir(parents=True, exist_ok=True)
        passwords = Path(overrides["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
        passwords.write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
        return cls(home=home, sql_alchemy_conn=conn, dags_folder=dags, env=env)

    @property
    def logs_folder(self) -> Path:
        return Path(self.env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"])

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql`` (the dialect of the metadata DB URL)."""
        return self.sql_alchemy_conn.split(":", 1)[0].split("+", 1)[0]

    def run(
        self,
        argv: list[str],
        *,
        timeout: float = 300,
        check: bool = True,
        extra_env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` with this home's environment; on a non-zero exit raise with its output."""
        env = {**self.env, **(extra_env or {})}
        try:
            proc = subprocess.run(
                argv,
                env=env,
                cwd=self.home,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(
                f"{argv!r} timed out after {timeout}s\n--- stdout ---\n{_tail(exc.stdout)}"
                f"\n--- stderr ---\n{_tail(exc.stderr)}"
            ) from exc
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{argv!r} exited {proc.returncode}\n--- stdout ---\n{_tail(proc.stdout)}"
                f"\n--- stderr ---\n{_tail(proc.stderr)}"
            )
        return proc

    def cli(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``airflow *args`` with this home's environment; raises (with stdout/stderr) on failure."""
        return self.run([venv_bin("airflow"), *args], timeout=timeout, check=check)

    def migrate(self, timeout: float = 600) -> float:
        """``airflow db migrate``; returns the seconds it took."""
        start = time.monotonic()
        self.cli("db", "migrate", timeout=timeout)
        return time.monotonic() - start

    def add_dag_file(self, path_or_source: str | Path, name: str) -> Path:
        """Put a DAG file into the dags folder and return its path there.

        ``path_or_source`` is a :class:`~pathlib.Path` (or a one-line string naming an existing
        file) to copy, or else the Python source of the DAG file itself.
        """
        if not name.endswith(".py"):
            name += ".py"
        target = self.dags_folder / name
        is_path = isinstance(path_or_source, Path) or (
            "\n" not in path_or_source and Path(path_or_source).is_file()
        )
        if is_path:
            shutil.copyfile(Path(path_or_source), target)
        else:
            target.write_text(str(path_or_source))
        return target

    def query(self, statement: str, **params: Any) -> list[dict[str, Any]]:
        """Run one SQL statement on the metadata DB with a plain SQLAlchemy engine (no Airflow
        import) and return the rows as dicts."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.sql_alchemy_conn, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(text(statement), params)]
        finally:
            engine.dispose()

    def task_tries(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[dict[str, Any]]:
        """Every try of one task instance: ``task_instance_history`` rows plus the current
        ``task_instance`` row, each as ``{"try_number", "state", "retry_delay_override",
        "retry_reason"}`` (same shape as the ``tries`` of :meth:`dag_test`)."""
        where = "dag_id = :dag_id AND run_id = :run_id AND task_id = :task_id AND map_index = :map_index"
        # retry_delay_override / retry_reason: columns of the native retry policy (3.3+), else NULL.
        policy = (
            "retry_delay_override, retry_reason"
            if HAS_NATIVE_RETRY_POLICY
            else "NULL AS retry_delay_override, NULL AS retry_reason"
        )
        cols = f"try_number, state, {policy}"
        keys = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index}
        current = self.query(f"SELECT {cols} FROM task_instance WHERE {where}", **keys)
        history = self.query(
            f"SELECT {cols} FROM task_instance_history WHERE {where} ORDER BY try_number", **keys
        )
        current_try = current[0]["try_number"] if current else None
        tries = [row for row in history if row["try_number"] != current_try]
        if current and current_try:
            tries.append(current[0])
        return tries

    def dag_test(
        self,
        dag_file: str | Path,
        dag_id: str,
        timeout: float = 300,
        extra_env: Mapping[str, str] | None = None,
        conf: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run ``dag.test()`` for ``dag_id`` in a subprocess (see ``run_dag_test.py``), with the
        run's *conf* when given.

        ``dag_file`` is a path (copied into the dags folder if it is not there) or the name of a
        file already in the dags folder.  Returns the runner's JSON result::

            {"dag_id", "run_id", "state", "duration_s",
             "task_instances": {task_id: {"task_id", "map_index", "state", "try_number",
                                          "max_tries", "tries": [{"try_number", "state",
                                          "retry_delay_override", "retry_reason"}, ...]}}}

        (mapped task instances are keyed ``"task_id[map_index]"``).  It does not raise when the
        DAG run fails: assert on ``result["state"]``.
        """
        path = Path(dag_file)
        if not path.is_absolute():
            path = self.dags_folder / path
        path = path.resolve()
        if not path.is_relative_to(self.dags_folder.resolve()):
            path = self.add_dag_file(path, path.name)
        if conf is not None:
            extra_env = {**(extra_env or {}), "EG_DAG_TEST_CONF": json.dumps(conf)}
        result_fd, result_name = tempfile.mkstemp(prefix="dag-test-", suffix=".json", dir=self.home)
        os.close(result_fd)
        result_file = Path(result_name)
        extra_env = {**(extra_env or {}), "EG_DAG_TEST_RESULT_FILE": str(result_file)}
        try:
            proc = self.run(
                [sys.executable, str(RUN_DAG_TEST), str(path), dag_id], timeout=timeout, extra_env=extra_env
            )
            written = result_file.read_text(encoding="utf-8").strip()
        finally:
            result_file.unlink(missing_ok=True)
        if written:
            payload = json.loads(written)
            if isinstance(payload, dict) and payload.get("kind") == DAG_TEST_RESULT_KIND:
                return payload
        for raw_line in reversed(proc.stdout.splitlines()):
            line = raw_line.strip()
            if not line.startswith("{"):
                continue
            try:
                payload = json.loads(line)
            except ValueError:
                continue
            if isinstance(payload, dict) and payload.get("kind") == DAG_TEST_RESULT_KIND:
                return payload
        raise AssertionError(
            f"dag.test() runner printed no result line for {dag_id!r}\n--- stdout ---\n"
            f"{_tail(proc.stdout)}\n--- stderr ---\n{_tail(proc.stderr)}"
        )
