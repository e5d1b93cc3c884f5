"""Real Airflow: api-server + scheduler (LocalExecutor) + dag-processor as separate processes.

Task code runs here the way it does in production: in a task-runner process supervised by the
LocalExecutor, talking to the api-server's Execution API, with the metadata-DB ORM blocked
(``settings.Session()`` raises).  ``dag.test()`` does none of that, hence this harness.

Usage::

    with RealAirflow(airflow_db) as af:
        run_id = af.trigger("my_dag")
        assert af.wait_for_run("my_dag", run_id, timeout=180) == "success"
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import quote

import httpx
import psutil

from tests.harness.airflow_env import ADMIN_PASSWORD, ADMIN_USER, AirflowEnv, venv_bin

FINISHED_RUN_STATES = frozenset({"success", "failed"})
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _file_tail(path: Path, limit: int = 4000) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    text = data[-limit:].decode(errors="replace")
    return text if len(data) <= limit else "...\n" + text


class RealAirflow:
    """Start api-server, scheduler and dag-processor for ``airflow_env``; stop them on exit.

    Each process runs in its own session/process group with stdout+stderr going to
    ``<home>/harness-logs/<name>.log``.  On exit the groups get SIGTERM, every process left in
    those sessions (task runners have process groups of their own) SIGKILL after
    ``stop_grace`` seconds, and the exit asserts that none is left (see :meth:`stop`).
    """

    PROCESSES: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("api-server", ("api-server",)),
        ("scheduler", ("scheduler", "--skip-serve-logs")),
        ("dag-processor", ("dag-processor",)),
    )

    def __init__(
        self,
        airflow_env: AirflowEnv,
        port: int | None = None,
        *,
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = 180.0,
        stop_grace: float = 30.0,
        triggerer: bool = False,
    ) -> None:
        #: Also start ``airflow triggerer`` (deferrable operators) and wait for its heartbeat.
        self.triggerer = triggerer
        self.airflow_env = airflow_env
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.log_dir = airflow_env.home / "harness-logs"
        self.env: dict[str, str] = {
            **airflow_env.env,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            # Pick up DAG files added while running within seconds (defaults: 300 s / 2 parsers).
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            **(extra_env or {}),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_paths: dict[str, Path] = {}
        self._log_files: list[IO[bytes]] = []
        self._client: httpx.Client | None = None
        self._token: str | None = None
        #: Filled by ``stop()``: processes left after the main ones exited / that needed SIGKILL.
        self.orphans_terminated: list[str] = []
        self.sigkilled: list[str] = []
        #: Seconds spent in ``start()`` (until healthy) and ``stop()``.
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> RealAirflow:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        except AssertionError as stop_error:
            if exc is None:
                raise
            add_note = getattr(exc, "add_note", None)  # Python >= 3.11
            if add_note is not None:
                add_note(f"RealAirflow.stop() also failed: {stop_error}")

    def start(self) -> None:
        """Start the three processes and wait until the api-server answers and both the
        scheduler and the dag-processor report healthy heartbeats."""
        started = time.monotonic()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        airflow = venv_bin("airflow")
        try:
            for name, args in self.process_specs():
                log_path = self.log_dir / f"{name}.log"
                log_file = log_path.open("ab")
                self._log_files.append(log_file)
                self.log_paths[name] = log_path
                self.processes[name] = subprocess.Popen(
                    [airflow, *args],
                    env=self.process_env(name),
                    cwd=self.airflow_env.home,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # own session + process group, pgid == pid
                )
            self._client = httpx.Client(base_url=self.base_url, timeout=30.0)
            self._wait_healthy(started + self.startup_timeout)
        except BaseException:
            self.stop(check=False)
            raise
        self.timings["startup"] = time.monotonic() - started

    def process_specs(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``(name, airflow CLI args)`` of the processes to start (``PROCESSES`` + the triggerer)."""
        if self.triggerer:
            return (*self.PROCESSES, ("triggerer", ("triggerer", "--skip-serve-logs")))
        return self.PROCESSES

    def process_env(self, name: str) -> dict[str, str]:
        """Environment of the process ``name`` (subclasses give processes settings of their own)."""
        return self.env

    def _wait_healthy(self, deadline: float) -> None:
        last: object = None
        while True:
            self._check_alive()
            try:
                response = self.client.get("/api/v2/monitor/health")
                last = (response.status_code, response.text[:500])
                if response.status_code == 200:
                    health = response.json()
                    last = health
                    started = {name for name, _ in self.PROCESSES} | (
                        {"triggerer"} if self.triggerer else set()
                    )
                    components = [
                        c
                        for c in ("scheduler", "dag_processor", "triggerer")
                        if c.replace("_", "-") in started
                    ]
                    if all(health.get(c, {}).get("status") == "healthy" for c in components):
                        return
            except httpx.HTTPError as exc:
                last = repr(exc)
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"Airflow at {self.base_url} not healthy after {self.startup_timeout}s; last: {last}\n"
                    + self.process_logs()
                )
            time.sleep(1.0)

    def _check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"airflow {name} exited with {proc.returncode}\n" + self.process_logs())

    def _session_members(self) -> list[psutil.Process]:
        """Live (non-zombie) processes in the sessions of the processes we started."""
        sids = {proc.pid for proc in self.processes.values()}
        members = []
        for pid in psutil.pids():
            try:
                if os.getsid(pid) not in sids:
                    continue
                process = psutil.Process(pid)
                if process.status() != psutil.STATUS_ZOMBIE:
                    members.append(process)
            except (ProcessLookupError, PermissionError, psutil.Error):
                continue
        return members

    def _signal_groups(self, sig: signal.Signals) -> None:
        for proc in self.processes.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)

    def _signal_all(self, sig: signal.Signals) -> None:
        for proc in self.processes.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
        # Task runners live in process groups of their own (supervisor setpgid), same session.
        for member in self._session_members():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(member.pid, sig)

    def _all_gone(self) -> bool:
        return all(p.poll() is not None for p in self.processes.values()) and not self._session_members()

    def _wait_all_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._all_gone():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    @staticmethod
    def _describe(process: psutil.Process) -> str:
        try:
            with process.oneshot():
                return (
                    f"pid={process.pid} ppid={process.ppid()} status={process.status()} {process.cmdline()}"
                )
        except psutil.Error as exc:
            return f"pid={process.pid} ({type(exc).__name__})"

    def stop(self, check: bool = True) -> None:
        """Stop everything we started; with ``check``, assert that no process is left.

        1. One SIGTERM to each process group we started (api-server, scheduler, dag-processor
           and their forked children), then up to ``stop_grace`` s for the three to exit.
           Exactly one: a second SIGTERM reaching the scheduler while ``LocalExecutor.end()``
           hands out its poison pills can hang it forever (its atexit joins a worker that never
           got a pill), despite its "Signal again if you don't want to wait" log line.
        2. SIGTERM once to anything else still in their sessions (task runners live in process
           groups of their own), 5 s to go; recorded in ``self.orphans_terminated``.
        3. SIGKILL to the groups and everything left in the sessions; recorded in
           ``self.sigkilled``.
        """
        started = time.monotonic()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.processes:
            self._signal_groups(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_grace
            while time.monotonic() < deadline and any(p.poll() is None for p in self.processes.values()):
                time.sleep(0.2)
            main_pids = {p.pid for p in self.processes.values()}
            orphans = [m for m in self._session_members() if m.pid not in main_pids]
            if orphans:
                self.orphans_terminated = [self._describe(m) for m in orphans]
                for member in orphans:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(member.pid, signal.SIGTERM)
                self._wait_all_gone(5.0)
            if not self._all_gone():
                self.sigkilled = [
                    f"{name} pid={p.pid}" for name, p in self.processes.items() if p.poll() is None
                ] + [self._describe(m) for m in self._session_members()]
                self._signal_all(signal.SIGKILL)
                self._wait_all_gone(15.0)
            for proc in self.processes.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        leftovers = [self._describe(m) for m in self._session_members()] if self.processes else []
        for log_file in self._log_files:
            log_file.close()
        self._log_files.clear()
        running = {name: p.pid for name, p in self.processes.items() if p.poll() is None}
        self.timings["stop"] = time.monotonic() - started
        if check:
            assert not running and not leftovers, (
                f"Airflow processes survived SIGKILL: started={running}, left={leftovers}"
            )

    # ------------------------------------------------------------------ REST API

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            raise RuntimeError("RealAirflow is not running")
        return self._client

    def token(self) -> str:
        """JWT for the fixed admin user (``POST /auth/token``)."""
        if self._token is None:
            response = self.client.post(
                "/auth/token", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
            )
            if response.status_code != 201:
                raise AssertionError(f"POST /auth/token -> {response.status_code}: {response.text}")
            self._token = str(response.json()["access_token"])
        return self._token

    def api(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        expected: Iterable[int] = (200,),
    ) -> Any:
        """Call the REST API as admin; raise unless the status is in ``expected``."""
        response = self.client.request(
            method,
            path,
            json=json_body,
            params=params,
            headers={"Authorization": f"Bearer {self.token()}"},
        )
        if response.status_code not in set(expected):
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text[:2000]}")
        return response.json() if response.content else None

    def import_errors(self) -> list[dict[str, Any]]:
        data = self.api("GET", "/api/v2/importErrors")
        return list(data.get("import_errors", []))

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """Poll until the dag-processor has parsed ``dag_id`` into the DB; return its details.
        Fails early when the file has an import error."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            response = self.client.get(
                f"/api/v2/dags/{quote(dag_id, safe='')}", headers={"Authorization": f"Bearer {self.token()}"}
            )
            if response.status_code == 200:
                return dict(response.json())
            errors = [e for e in self.import_errors() if dag_id in e.get("stack_trace", "")]
            if errors:
                raise AssertionError(f"DAG {dag_id!r} failed to import: {errors}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"DAG {dag_id!r} not parsed after {timeout}s (last status {response.status_code}); "
                    f"import errors: {self.import_errors()}\n" + self.process_logs()
                )
            time.sleep(1.0)

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/api/v2/dags/{quote(dag_id, safe='')}", json_body={"is_paused": False})

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None, *, timeout: float = 120.0) -> str:
        """Wait until ``dag_id`` is known, unpause it, create a manual run; return the run_id."""
        self.wait_for_dag(dag_id, timeout=timeout)
        self.unpause(dag_id)
        run = self.api(
            "POST",
            f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns",
            json_body={"logical_date": None, "conf": dict(conf or {})},
        )
        return str(run["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return dict(
            self.api("GET", f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}")
        )

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300.0) -> str:
        """Poll until the run is ``success`` or ``failed``; return that state."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            state = str(self.dag_run(dag_id, run_id)["state"])
            if state in FINISHED_RUN_STATES:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"run {dag_id}/{run_id} still {state!r} after {timeout}s; task instances: "
                    f"{self.task_instances(dag_id, run_id)}\n" + self.process_logs()
                )
            time.sleep(1.0)

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
        """``{task_id: {"state", "try_number", "max_tries", "map_index"}}`` from the REST API
        (mapped instances keyed ``task_id[map_index]``)."""
        data = self.api(
            "GET", f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}/taskInstances"
        )
        result: dict[str, dict[str, Any]] = {}
        for ti in data["task_instances"]:
            key = ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]"
            result[key] = {k: ti[k] for k in ("task_id", "map_index", "state", "try_number", "max_tries")}
        return result

    def task_tries(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[dict[str, Any]]:
        """Every try of one task instance, read straight from the metadata DB (the REST API's
        ``/tries`` omits ``retry_delay_override`` and ``retry_reason``)."""
        return self.airflow_env.task_tries(dag_id, run_id, task_id, map_index)

    # ------------------------------------------------------------------ logs

    def task_log_path(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> Path:
        return (
            self.airflow_env.logs_folder
            / f"dag_id={dag_id}"
            / f"run_id={run_id}"
            / f"task_id={task_id}"
            / f"attempt={try_number}.log"
        )

    def task_log_events(
        self, dag_id: str, run_id: str, task_id: str, try_number: int
    ) -> list[dict[str, Any]]:
        """The task's JSON-line log for one try, parsed (non-JSON lines as ``{"event": line}``)."""
        events: list[dict[str, Any]] = []
        for line in self.task_log(dag_id, run_id, task_id, try_number).splitlines():
            if not line.strip():
                continue
            try:
                parsed = json.loads(line)
            except ValueError:
                parsed = {"event": line}
            events.append(parsed if isinstance(parsed, dict) else {"event": parsed})
        return events

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        """Raw text (JSON lines) of ``logs/dag_id=…/run_id=…/task_id=…/attempt=N.log``."""
        path = self.task_log_path(dag_id, run_id, task_id, try_number)
        if not path.exists():
            existing = sorted(
                str(p.relative_to(self.airflow_env.logs_folder)) for p in path.parent.parent.rglob("*.log")
            )
            raise FileNotFoundError(f"no task log at {path}; logs of this run: {existing}")
        return path.read_text(errors="replace")

    def process_logs(self, limit: int = 4000) -> str:
        """Tails of the api-server/scheduler/dag-processor logs, for failure messages."""
        return "\n".join(
            f"--- {name} ({path}) ---\n{_file_tail(path, limit)}" for name, path in self.log_paths.items()
        )
