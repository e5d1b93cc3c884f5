"""
The CLI as a new user meets it (issue 17 §1): where ``--url`` goes, what a missing database or
missing tables say, no database created as a side effect, Airflow not imported when the URL
or the connection's environment variable already says where the tables are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_errorguard.cli import exit_codes
from airflow_errorguard.hooks.connection_url import connection_from_env, sqlalchemy_url
from airflow_errorguard.storage import migrate
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from scripts.demo import cli_hint
from tests.cli.test_cli_quarantine import seed
from tests.harness import AirflowEnv

ROOT = Path(__file__).resolve().parents[2]
ERRORGUARD = str(Path(sys.executable).parent / "errorguard")


def _env(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any Airflow/errorguard location, HOME moved to *home*."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW__DATABASE__", "AIRFLOW_HOME", "ERRORGUARD_"))
    }
    env.update(HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False", **extra)
    return env


def _cli(env: dict[str, str], *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ERRORGUARD, *argv], capture_output=True, text=True, timeout=180, env=env, cwd=cwd, check=False
    )


@pytest.fixture
def seeded_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    migrate.upgrade(url)
    seed(Database(get_engine(url)), n=2)
    return url


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "{url}", "quarantine", "list", "-o", "json"],
        ["quarantine", "list", "--url", "{url}", "-o", "json"],
        ["--url", "{url}", "-o", "json", "quarantine", "list"],
        ["-o", "json", "--conn-id", "eg_env", "quarantine", "list"],
        ["quarantine", "list", "-o", "json", "--conn-id", "eg_env"],
    ],
)
def test_storage_options_before_or_after_the_subcommand(
    tmp_path: Path, seeded_url: str, argv: list[str]
) -> None:
    env = _env(tmp_path, AIRFLOW_CONN_EG_ENV=seeded_url)
    done = _cli(env, *(a.format(url=seeded_url) for a in argv))
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["items"]) == 4


def test_option_after_the_subcommand_wins(tmp_path: Path, seeded_url: str) -> None:
    missing = f"sqlite:///{tmp_path / 'other.db'}"
    done = _cli(_env(tmp_path), "--url", missing, "quarantine", "show", "1", "--url", seeded_url)
    assert done.returncode == 0, done.stderr
    assert "dag_a-0" in done.stdout


def test_show_with_url_first_reaches_the_record(tmp_path: Path, seeded_url: str) -> None:
    assert _cli(_env(tmp_path), "--url", seeded_url, "quarantine", "show", "1").returncode == 0
    nope = _cli(_env(tmp_path), "--url", seeded_url, "quarantine", "show", "999")
    assert nope.returncode == exit_codes.NOT_FOUND


def test_missing_sqlite_file_is_named_and_never_created(tmp_path: Path) -> None:
    target = tmp_path / "typo.db"
    done = _cli(_env(tmp_path), "--url", f"sqlite:///{target}", "quarantine", "list")
    assert done.returncode == exit_codes.ERROR
    assert f"no SQLite database file at {target}" in done.stderr
    assert "airflow db migrate" in done.stderr and "--url" in done.stderr
    assert not target.exists()


def test_database_without_errorguard_tables_says_what_to_do(tmp_path: Path) -> None:
    import sqlite3

    target = tmp_path / "other.db"
    sqlite3.connect(target).execute("CREATE TABLE unrelated (a INTEGER)").connection.close()
    done = _cli(_env(tmp_path), "quarantine", "list", "--url", f"sqlite:///{target}")
    assert done.returncode == exit_codes.ERROR
    assert "errorguard's tables are not in" in done.stderr and "errorguard_quarantine" in done.stderr
    assert "airflow db migrate" in done.stderr and "Traceback" not in done.stderr


def test_db_upgrade_may_still_create_a_database(tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    done = _cli(_env(tmp_path), "db", "upgrade", "--url", f"sqlite:///{target}")
    assert done.returncode == 0, done.stderr
    assert target.is_file()


@pytest.mark.airflow
def test_no_configuration_at_all_creates_no_airflow_db(tmp_path: Path) -> None:
    """The README's first CLI call with nothing configured: Airflow's default home stays empty."""
    done = _cli(_env(tmp_path), "quarantine", "list", cwd=tmp_path)
    assert done.returncode == exit_codes.ERROR
    default_db = tmp_path / "airflow" / "airflow.db"
    assert f"no SQLite database file at {default_db}" in done.stderr
    assert "Airflow's metadata database" in done.stderr and "--url" in done.stderr
    assert not default_db.exists()


@pytest.mark.parametrize("via", ["--url", "AIRFLOW_CONN_ERRORGUARD_DEFAULT", "ERRORGUARD_URL"])
def test_url_and_connection_variable_do_not_import_airflow(tmp_path: Path, seeded_url: str, via: str) -> None:
    env = _env(tmp_path)
    argv = ["quarantine", "list", "-o", "json"]
    if via == "--url":
        argv += ["--url", seeded_url]
    else:
        env[via] = seeded_url
    probe = (
        "import sys; from airflow_errorguard.cli.main import main; "
        f"code = main({argv!r}); "
        "print('AIRFLOW-IMPORTED' if 'airflow' in sys.modules else 'no-airflow', code, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == "no-airflow 0", done.stderr
    assert len(json.loads(done.stdout)["items"]) == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("sqlite:////tmp/x/airflow.db", "sqlite:////tmp/x/airflow.db"),
        ("sqlite:///relative.db", "sqlite:///relative.db"),
        (
            "postgresql://user:p%40ss@db.example.com:5433/airflow?sslmode=require",
            "postgresql+psycopg2://user:p%40ss@db.example.com:5433/airflow?sslmode=require",
        ),
        (
            '{"conn_type": "postgres", "host": "h", "login": "u", "schema": "a", "port": "5432"}',
            "postgresql+psycopg2://u@h:5432/a",
        ),
        (
            "errorguard://?__extra__=%7B%22sqlalchemy_url%22%3A+%22sqlite%3A%2F%2F%2F%2Ftmp%2Fe.db%22%7D",
            "sqlite:////tmp/e.db",
        ),
    ],
)
def test_connection_variable_forms_match_airflow(value: str, expected: str) -> None:
    conn = connection_from_env("errorguard_default", {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": value})
    assert conn is not None
    assert sqlalchemy_url(conn).render_as_string(hide_password=False) == expected


@pytest.mark.airflow
def test_connection_variable_parsed_like_airflow_does() -> None:
    """Our reading of ``AIRFLOW_CONN_*`` agrees with Airflow's own ``Connection``."""
    from airflow.models.connection import Connection

    for value in (
        "sqlite:////tmp/x/airflow.db",
        "postgresql://user:p%40ss@db.example.com:5433/airflow?sslmode=require&pool_size=3",
        "mysql://root@127.0.0.1:3306/errorguard",
    ):
        ours = connection_from_env("x", {"AIRFLOW_CONN_X": value})
        theirs = Connection(conn_id="x", uri=value)
        assert ours is not None
        assert sqlalchemy_url(ours) == sqlalchemy_url(theirs), value


@pytest.mark.airflow
def test_the_line_make_demo_prints_works_on_a_demo_like_home(tmp_path: Path) -> None:
    """``airflow db migrate`` in a fresh home as the demo does, then exactly what the demo prints."""
    home = tmp_path / "demo-home"
    AirflowEnv.create(home).migrate()
    db_path = home / "airflow.db"
    seed(Database(get_engine(f"sqlite:///{db_path}")), n=1)
    lines = cli_hint(db_path)
    export = next(line.strip() for line in lines if line.strip().startswith("export "))
    name, url = export.removeprefix("export ").split("=", 1)
    command = next(line.strip() for line in lines if line.strip().startswith(".venv/bin/errorguard"))
    one_liner = next(line.split(": ", 1)[1] for line in lines if "in one line" in line)
    env = _env(tmp_path)
    for argv, extra in ((command.split(), {name: url}), (one_liner.split(), {})):
        done = subprocess.run(
            [str(ROOT / argv[0]), *argv[1:], "-o", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, **extra},
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert [r["record_key"] for r in json.loads(done.stdout)["items"]] == ["dag_b-0", "dag_a-0"]


def test_demo_waits_for_the_circuit_to_open(tmp_path: Path) -> None:
    """The demo triggers the consumer only once crm_api is open (so its sensor really holds)."""
    import sqlite3

    from scripts.demo import wait_until_circuit_open

    db_path = tmp_path / "airflow.db"
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE errorguard_circuit (name TEXT, state TEXT)")
        db.execute("INSERT INTO errorguard_circuit VALUES ('crm_api', 'closed')")
    with pytest.raises(TimeoutError, match="'crm_api' did not open"):
        wait_until_circuit_open(db_path, "crm_api", timeout=1)
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE errorguard_circuit SET state = 'open'")
    wait_until_circuit_open(db_path, "crm_api", timeout=5)
