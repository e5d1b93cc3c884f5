"""
``errorguard doctor`` (issue 14 §3, issue 18 §5) as an operator runs it: the real command in a
subprocess against deliberately broken Airflow homes, and against a healthy one.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from airflow_errorguard.cli import exit_codes
from airflow_errorguard.manage.doctor import FAIL, OK, SKIP, WARN
from airflow_errorguard.manage.doctor_airflow import DB_MANAGER, db_manager_finding
from airflow_errorguard.storage import migrate
from tests.harness import AirflowEnv
from tests.harness.airflow_env import venv_bin

pytestmark = pytest.mark.airflow

CHECKS = [
    "airflow",
    "options",
    "hash_key",
    "rules_file",
    "connection",
    "tables",
    "db_manager",
    "async_driver",
    "plugin",
    "listener",
    "cluster_policy",
    "circuits",
]
#: The migration before the head (a database an older errorguard left behind).
PREVIOUS_REVISION = "3c9e7a41d2f6"


def doctor(env: AirflowEnv, *argv: str, **extra: str) -> tuple[int, dict[str, dict[str, str]], str]:
    """``errorguard doctor -o json`` in *env*'s home: (exit code, findings by check, stderr)."""
    return doctor_without((), env, *argv, **extra)


def doctor_without(
    drop: tuple[str, ...], env: AirflowEnv, *argv: str, **extra: str
) -> tuple[int, dict[str, dict[str, str]], str]:
    """:func:`doctor` with the variables *drop* removed from *env*'s environment."""
    base = {
        k: v
        for k, v in env.env.items()
        if not k.startswith(("AIRFLOW_CONN_", "ERRORGUARD_")) and k not in drop
    }
    done = subprocess.run(
        [venv_bin("errorguard"), "doctor", "-o", "json", *argv],
        env={**base, **extra},
        cwd=env.home,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(done.stdout)
    findings = {f["check"]: f for f in report["findings"]}
    assert [f["check"] for f in report["findings"]] == CHECKS, done.stderr
    assert report["ok"] is (done.returncode == 0)
    return done.returncode, findings, done.stderr


def statuses(findings: dict[str, dict[str, str]]) -> dict[str, str]:
    return {name: f["status"] for name, f in findings.items()}


def with_local_settings(airflow_db: AirflowEnv, tmp_path: Path, source: str) -> AirflowEnv:
    """A home of its own on the session's migrated metadata DB, with ``config/airflow_local_settings.py``."""
    home = AirflowEnv.create(tmp_path / "home", airflow_db.sql_alchemy_conn)
    (home.home / "config").mkdir()
    (home.home / "config" / "airflow_local_settings.py").write_text(source)
    return home


def _own_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'errorguard.db'}"
    migrate.upgrade(url)
    return url


def test_healthy_home_passes(airflow_backend: AirflowEnv) -> None:
    """Tables migrated by ``airflow db migrate``, the connection defined: only the optional policy warns."""
    code, findings, _ = doctor(
        airflow_backend, AIRFLOW_CONN_ERRORGUARD_DEFAULT=airflow_backend.sql_alchemy_conn
    )
    expected = dict.fromkeys(CHECKS, OK) | {"cluster_policy": WARN}
    assert statuses(findings) == expected, json.dumps(findings, indent=1)
    assert code == exit_codes.OK
    assert "airflow_local_settings.py" in findings["cluster_policy"]["fix"]
    assert migrate.head_revision() in findings["tables"]["summary"]
    if airflow_backend.backend == "postgresql":
        assert "sql_alchemy_conn_async" in findings["async_driver"]["summary"]


def test_table_output_lists_every_check_with_its_fix(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    env = {k: v for k, v in airflow_db.env.items() if not k.startswith(("AIRFLOW_CONN_", "ERRORGUARD_"))}
    done = subprocess.run(
        [venv_bin("errorguard"), "doctor"],
        env={**env, "AIRFLOW__ERRORGUARD__JITTER": "sideways"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == exit_codes.ERROR
    assert [line.split()[1] for line in lines[:-1] if not line.startswith(" ")] == CHECKS
    assert lines[-1] == "9 OK, 1 WARN, 2 FAIL"  # options, connection; the cluster policy
    options = next(i for i, line in enumerate(lines) if line.split()[1:2] == ["options"])
    assert lines[options].startswith("FAIL") and "jitter" in lines[options]
    assert lines[options + 1].strip().startswith("fix: correct the option")
    assert "connection" in lines[options + 4] and lines[options + 5].strip().startswith(
        "fix: define it for every worker"
    )


def test_connection_not_defined_fails_without_creating_a_database(tmp_path: Path) -> None:
    """Nothing configured: the metadata fallback is named as useless to tasks; no file appears."""
    home = AirflowEnv.create(tmp_path / "empty-home")
    code, findings, _ = doctor(home)
    assert code == exit_codes.ERROR
    assert findings["connection"]["status"] == FAIL
    assert "task processes cannot" in findings["connection"]["summary"]
    assert "AIRFLOW_CONN_ERRORGUARD_DEFAULT=" in findings["connection"]["fix"]
    assert findings["tables"]["status"] == FAIL and "no SQLite database file" in findings["tables"]["summary"]
    assert "airflow db migrate" in findings["tables"]["fix"]
    assert findings["circuits"]["status"] == SKIP
    assert not (home.home / "airflow.db").exists()


def test_missing_tables(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    target = tmp_path / "other.db"
    sqlite3.connect(target).execute("CREATE TABLE unrelated (a INTEGER)").connection.close()
    code, findings, _ = doctor(airflow_db, AIRFLOW_CONN_ERRORGUARD_DEFAULT=f"sqlite:///{target}")
    assert code == exit_codes.ERROR
    assert findings["connection"]["status"] == OK
    tables = findings["tables"]
    assert tables["status"] == FAIL and "errorguard's tables are not in" in tables["summary"]
    assert tables["fix"] == "run `errorguard db upgrade`"  # a database of its own: airflow won't migrate it
    assert findings["circuits"]["status"] == SKIP


@pytest.mark.parametrize("conn_id", ["errorguard_default", "eg_other"])
def test_tables_behind_the_head(cli_url: str, airflow_db: AirflowEnv, conn_id: str) -> None:
    """An older errorguard's schema (SQLite and PostgreSQL): FAIL with the upgrade to run."""
    migrate.downgrade(cli_url, PREVIOUS_REVISION)
    code, findings, _ = doctor(
        airflow_db, "--conn-id", conn_id, **{f"AIRFLOW_CONN_{conn_id.upper()}": cli_url}
    )
    tables = findings["tables"]
    assert code == exit_codes.ERROR and tables["status"] == FAIL
    assert (
        f"at revision {PREVIOUS_REVISION}; this release needs {migrate.head_revision()}" in tables["summary"]
    )
    suffix = "" if conn_id == "errorguard_default" else f" --conn-id {conn_id}"
    assert tables["fix"] == f"run `errorguard db upgrade{suffix}`"
    assert findings["circuits"]["status"] == OK  # the circuit table exists at that revision


def test_tables_from_a_newer_release(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    url = _own_db(tmp_path)
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = 'fe11ce0ffee1'"))
    engine.dispose()
    code, findings, _ = doctor(airflow_db, "--url", url, AIRFLOW_CONN_ERRORGUARD_DEFAULT=url)
    assert code == exit_codes.ERROR
    assert "fe11ce0ffee1, which this release does not know" in findings["tables"]["summary"]
    assert "install the airflow-errorguard release" in findings["tables"]["fix"]


def test_broken_configuration_is_named(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    """A bad option, an unparsable rules file, the listener off, a cluster policy of the user's own."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - match: [unclosed\n")
    home = with_local_settings(airflow_db, tmp_path, "def task_policy(task):\n    task.owner = 'platform'\n")
    code, findings, _ = doctor(
        home,
        AIRFLOW_CONN_ERRORGUARD_DEFAULT=_own_db(tmp_path),
        AIRFLOW__ERRORGUARD__BASE_DELAY="ten",
        AIRFLOW__ERRORGUARD__RULES_FILE=str(rules),
        AIRFLOW__ERRORGUARD__LISTENER_ENABLED="False",
    )
    assert code == exit_codes.ERROR
    assert statuses(findings) == dict.fromkeys(CHECKS, OK) | {
        "options": FAIL,
        "rules_file": FAIL,
        "listener": WARN,
        "cluster_policy": WARN,
    }
    assert "base_delay: expected a float, got 'ten'" in findings["options"]["summary"]
    assert f"rules file {rules}: not valid YAML" in findings["rules_file"]["summary"]
    assert "listener_enabled is off" in findings["listener"]["summary"]
    assert "a task_policy of its own (airflow_local_settings)" in findings["cluster_policy"]["summary"]


def test_valid_rules_file_is_counted(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: vendor-maintenance\n    message: maintenance window\n    category: transient\n"
        "circuits:\n  crm_api:\n    failure_rate: 0.3\n"
    )
    _, findings, _ = doctor(
        airflow_db,
        AIRFLOW_CONN_ERRORGUARD_DEFAULT=_own_db(tmp_path),
        AIRFLOW__ERRORGUARD__RULES_FILE=str(rules),
    )
    assert findings["rules_file"] == {
        "check": "rules_file",
        "status": OK,
        "summary": f"{rules}: 1 rule(s), 1 circuit override(s)",
        "fix": "",
    }


def test_hash_fields_without_hash_key_fails(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    """Issue 18 §5: reported as its own FAIL; the other options still count as valid."""
    url = _own_db(tmp_path)
    code, findings, _ = doctor(
        airflow_db, AIRFLOW_CONN_ERRORGUARD_DEFAULT=url, AIRFLOW__ERRORGUARD__HASH_FIELDS="email, customer_id"
    )
    assert code == exit_codes.ERROR
    assert findings["hash_key"]["status"] == FAIL and findings["options"]["status"] == OK
    assert "email, customer_id" in findings["hash_key"]["summary"]
    assert "AIRFLOW__ERRORGUARD__HASH_KEY" in findings["hash_key"]["fix"]
    code, findings, _ = doctor(
        airflow_db,
        AIRFLOW_CONN_ERRORGUARD_DEFAULT=url,
        AIRFLOW__ERRORGUARD__HASH_FIELDS="email",
        AIRFLOW__ERRORGUARD__HASH_KEY="s3cret-s3cret",
    )
    assert findings["hash_key"]["status"] == OK and "s3cret" not in json.dumps(findings)


def test_forced_circuits_are_listed(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    from airflow_errorguard.breaker.breaker import CircuitBreaker
    from airflow_errorguard.breaker.config import Circuit
    from airflow_errorguard.storage.circuits import SqlCircuitStorage
    from airflow_errorguard.storage.database import Database

    url = _own_db(tmp_path)
    engine = create_engine(url, poolclass=NullPool)
    storage = SqlCircuitStorage(Database(engine))
    for name in ("crm_api", "erp", "warehouse"):
        CircuitBreaker(Circuit(name=name), storage).record_success()
    CircuitBreaker(Circuit(name="crm_api"), storage).force_open(actor="test", note="maintenance")
    CircuitBreaker(Circuit(name="warehouse"), storage).disable(actor="test")
    engine.dispose()
    code, findings, _ = doctor(airflow_db, AIRFLOW_CONN_ERRORGUARD_DEFAULT=url)
    circuits = findings["circuits"]
    assert code == exit_codes.OK and circuits["status"] == WARN
    assert (
        "crm_api (forced_open), warehouse (disabled)" in circuits["summary"]
        and "erp" not in circuits["summary"]
    )
    assert circuits["fix"] == (
        "when the reason is over: errorguard circuits reset crm_api; errorguard circuits reset warehouse"
    )


@pytest.mark.postgres
def test_postgres_metadata_db_without_async_driver(airflow_db_postgres: AirflowEnv, tmp_path: Path) -> None:
    """
    No ``sql_alchemy_conn_async`` and asyncpg not installed (a module on ``PYTHONPATH`` that fails
    to import the way a missing package does): Airflow 3.3 does not even start; doctor says why.
    """
    shadow = tmp_path / "no-asyncpg"
    shadow.mkdir()
    (shadow / "asyncpg.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'asyncpg'\", name='asyncpg')\n"
    )
    code, findings, _ = doctor_without(
        ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",),
        airflow_db_postgres,
        AIRFLOW_CONN_ERRORGUARD_DEFAULT=airflow_db_postgres.sql_alchemy_conn,
        PYTHONPATH=str(shadow),
    )
    driver = findings["async_driver"]
    assert code == exit_codes.ERROR and driver["status"] == FAIL
    assert "postgresql+asyncpg" in driver["summary"] and "the URL Airflow derives" in driver["summary"]
    assert "pip install asyncpg" in driver["fix"] and "SQL_ALCHEMY_CONN_ASYNC" in driver["fix"]
    assert findings["airflow"]["status"] == FAIL and "asyncpg" in findings["airflow"]["summary"]
    # The same home with the async URL set (psycopg 3 is installed): Airflow starts, the driver loads.
    code, findings, _ = doctor(
        airflow_db_postgres,
        AIRFLOW_CONN_ERRORGUARD_DEFAULT=airflow_db_postgres.sql_alchemy_conn,
        PYTHONPATH=str(shadow),
    )
    assert findings["async_driver"]["status"] == OK and findings["airflow"]["status"] == OK


def test_airflow_that_does_not_start_skips_the_rest(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    home = with_local_settings(airflow_db, tmp_path, "import module_that_is_not_installed\n")
    code, findings, _ = doctor(home, AIRFLOW_CONN_ERRORGUARD_DEFAULT=_own_db(tmp_path))
    assert code == exit_codes.ERROR
    assert findings["airflow"]["status"] == FAIL
    assert "module_that_is_not_installed" in findings["airflow"]["summary"]
    expected = dict.fromkeys(CHECKS, SKIP) | {"airflow": FAIL, "async_driver": OK}  # needs no Airflow
    assert statuses(findings) == expected


def test_errorguard_policy_in_local_settings_is_detected(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    home = with_local_settings(airflow_db, tmp_path, "from airflow_errorguard.policy import task_policy\n")
    _, findings, _ = doctor(home, AIRFLOW_CONN_ERRORGUARD_DEFAULT=_own_db(tmp_path))
    assert findings["cluster_policy"]["status"] == OK
    assert "cluster_policy = all" in findings["cluster_policy"]["summary"]


def test_installed_entry_point_policy_is_inactive_until_switched_on(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    """The package's ``airflow.policy`` entry point does nothing until ``cluster_policy`` is set."""
    url = _own_db(tmp_path)
    _, findings, _ = doctor(airflow_db, AIRFLOW_CONN_ERRORGUARD_DEFAULT=url)
    assert findings["cluster_policy"]["status"] == WARN
    assert "entry point errorguard is installed but inactive" in findings["cluster_policy"]["summary"]
    assert "AIRFLOW__ERRORGUARD__CLUSTER_POLICY=all" in findings["cluster_policy"]["fix"]
    _, findings, _ = doctor(
        airflow_db, AIRFLOW_CONN_ERRORGUARD_DEFAULT=url, AIRFLOW__ERRORGUARD__CLUSTER_POLICY="opt_in"
    )
    assert findings["cluster_policy"]["status"] == OK
    assert "errorguard:on" in findings["cluster_policy"]["summary"]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("honours", "providers", "configured", "in_metadata", "status"),
    [
        (True, [DB_MANAGER], "", True, OK),  # Airflow 3.2+: the provider info registers it
        (True, [DB_MANAGER], "", False, OK),  # ... and the tables are elsewhere: says what migrates them
        (False, [DB_MANAGER], "", True, FAIL),  # Airflow 3.1 ignores the provider info
        (False, [], f" other.Manager , {DB_MANAGER}", True, OK),
        (False, [], "", False, WARN),  # tables in a database of their own
        (True, [], "", None, FAIL),  # the provider is not registered at all
    ],
)
def test_db_manager_decision(
    honours: bool, providers: list[str], configured: str, in_metadata: bool | None, status: str
) -> None:
    finding = db_manager_finding(honours, providers, configured, in_metadata)
    assert finding.status == status
    if status != OK:
        assert DB_MANAGER in finding.fix and "external_db_managers" in finding.fix
    assert ("errorguard db upgrade" in finding.summary) is (in_metadata is False)
