"""Session-wide Airflow test environment and the metadata-DB fixtures.

At import time (before any test module can import Airflow) this points ``AIRFLOW_HOME`` at a
fresh temporary directory with a SQLite metadata DB and a dags folder inside it, so no test ever
touches ``~/airflow``.  The directory is deleted when the session ends.

Fixtures:

- ``airflow_db`` (session): ``airflow db migrate`` on that SQLite home -> :class:`AirflowEnv`.
- ``airflow_db_postgres`` (session; tests using it need ``@pytest.mark.postgres``): a fresh
  database ``errorguard_test_<hex>`` on ``$ERRORGUARD_TEST_PG_URL`` (default
  ``postgresql://postgres@127.0.0.1:5432/postgres``) with its own home, migrated; dropped at the
  end.  PostgreSQL unreachable: skip locally, **fail** when ``CI=true``.
- ``airflow_backend``: parametrised over ``sqlite`` and ``postgres`` -> the matching
  :class:`AirflowEnv`, so one test runs against both metadata DBs.

Under pytest-xdist (``make test`` runs ``-n 2``) every worker imports this file,
so each has its own home and databases; a test file runs whole on one worker, and the files that
share a session server or corpus (:data:`SHARED_GROUPS`) run on the same one.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.harness import postgres as pg
from tests.harness.airflow_env import AirflowEnv, base_airflow_env, sqlite_url

if "airflow" in sys.modules:  # pragma: no cover - a plugin imported Airflow before us
    raise RuntimeError(
        "airflow was imported before tests/conftest.py could set AIRFLOW_HOME; "
        "its configuration would point at the wrong home"
    )

SESSION_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="errorguard-airflow-")).resolve()
os.environ.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
os.environ.update(base_airflow_env(SESSION_AIRFLOW_HOME, sqlite_url(SESSION_AIRFLOW_HOME)))
(SESSION_AIRFLOW_HOME / "dags").mkdir(exist_ok=True)


def pytest_report_header(config: pytest.Config) -> str:
    return f"errorguard: AIRFLOW_HOME={SESSION_AIRFLOW_HOME} (SQLite, deleted at session end)"


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(SESSION_AIRFLOW_HOME, ignore_errors=True)


#: Lines end-to-end tests publish (``e2e_figures`` fixture); printed at the end of the run.
_FIGURES: list[str] = []


@pytest.fixture
def e2e_figures() -> list[str]:
    """Append human-readable result lines; the session prints them in its terminal summary."""
    return _FIGURES


#: Node ids of ``airflow33`` tests deselected because the installed Airflow is older than 3.3.
_VERSION_DESELECTED: list[str] = []

#: Directories whose test files share one session-scoped server or build (the api-server of
#: ``tests/ui``, the live corpus): under xdist their files go to one worker, so it is started once.
SHARED_GROUPS = ("tests/ui/", "tests/corpus/")


def _xdist_group(nodeid: str) -> str:
    """The worker group of a test: its directory when shared (:data:`SHARED_GROUPS`), else its file."""
    path = nodeid.split("::", 1)[0]
    return next((shared for shared in SHARED_GROUPS if path.startswith(shared)), path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Under xdist, hand out whole groups (:func:`_xdist_group`): a file, or a shared directory."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _xdist_group(nodeid)

    return GroupScheduling(config, log)  # type: ignore[arg-type]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Below Airflow 3.3, deselect ``airflow33`` tests (native retry_policy) -- counted, not skipped."""
    from airflow_errorguard.compat import HAS_NATIVE_RETRY_POLICY

    if HAS_NATIVE_RETRY_POLICY:
        return
    dropped = [item for item in items if item.get_closest_marker("airflow33") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item.get_closest_marker("airflow33") is None]
        _VERSION_DESELECTED.extend(item.nodeid for item in dropped)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand the figures and deselections to the controller's summary."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["errorguard_figures"] = list(_FIGURES)
        workeroutput["errorguard_deselected"] = list(_VERSION_DESELECTED)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """On the xdist controller: collect what a finished worker handed over."""
    output = getattr(node, "workeroutput", {})
    _FIGURES.extend(output.get("errorguard_figures", ()))
    for nodeid in output.get("errorguard_deselected", ()):
        if nodeid not in _VERSION_DESELECTED:
            _VERSION_DESELECTED.append(nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _VERSION_DESELECTED:
        from airflow_errorguard.compat import AIRFLOW_VERSION

        terminalreporter.section("errorguard: deselected for the Airflow version")
        terminalreporter.write_line(
            f"{len(_VERSION_DESELECTED)} test(s) marked airflow33 deselected: Airflow {AIRFLOW_VERSION} "
            "has no native retry_policy (3.3+); tests/unit/test_compat.py checks the loud refusal instead"
        )
    if _FIGURES:
        terminalreporter.section("errorguard end-to-end figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[AirflowEnv]:
    """The session's SQLite Airflow home, migrated once (``airflow db migrate``)."""
    env = AirflowEnv.create(SESSION_AIRFLOW_HOME)
    env.migrate()
    yield env


@pytest.fixture(scope="session")
def airflow_db_postgres() -> Iterator[AirflowEnv]:
    """A migrated Airflow home on a throwaway PostgreSQL database (dropped afterwards)."""
    server = pg.admin_url()
    try:
        database = pg.create_database(server)
    except (psycopg2.Error, OSError) as exc:
        pg.unreachable(exc, server)
    home = Path(tempfile.mkdtemp(prefix="errorguard-airflow-pg-")).resolve()
    try:
        env = AirflowEnv.create(home, pg.airflow_url(server, database))
        env.migrate()
        yield env
    finally:
        try:
            pg.drop_database(server, database)
        finally:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def airflow_backend(request: pytest.FixtureRequest) -> AirflowEnv:
    """:class:`AirflowEnv` on SQLite, then on PostgreSQL (the ``postgres`` param is marked)."""
    fixture = "airflow_db" if request.param == "sqlite" else "airflow_db_postgres"
    env: AirflowEnv = request.getfixturevalue(fixture)
    return env


@pytest.fixture(autouse=True)
def _errorguard_settings_follow_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """
    ``[errorguard]`` is read once per process (``load_settings``); a test that changes it through
    ``AIRFLOW__ERRORGUARD__*`` stands for a restarted process, so the cache is dropped whenever a
    test sets or removes such a variable through ``monkeypatch`` (and after every test).
    """
    from airflow_errorguard import settings

    prefix = "AIRFLOW__ERRORGUARD__"
    setenv, delenv = monkeypatch.setenv, monkeypatch.delenv

    def set_and_forget(name: str, value: str, prepend: str | None = None) -> None:
        setenv(name, value, prepend)
        if name.startswith(prefix):
            settings.invalidate_settings()

    def del_and_forget(name: str, raising: bool = True) -> None:
        delenv(name, raising)
        if name.startswith(prefix):
            settings.invalidate_settings()

    monkeypatch.setattr(monkeypatch, "setenv", set_and_forget)
    monkeypatch.setattr(monkeypatch, "delenv", del_and_forget)
    settings.invalidate_settings()
    yield
    settings.invalidate_settings()
