"""``errorguard quarantine ...`` and the other commands, in-process and as real processes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_errorguard.cli import exit_codes
from airflow_errorguard.cli.main import main
from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem

VENV_BIN = Path(sys.executable).parent


def seed(db: Database, n: int = 6) -> list[int]:
    repo = QuarantineRepository(db)
    for dag_id in ("dag_a", "dag_b"):
        identity = TaskIdentity(dag_id=dag_id, task_id="load", run_id="r1", try_number=1)
        repo.add(
            identity,
            [
                QuarantineItem(
                    record_key=f"{dag_id}-{i}",
                    payload={"i": i, "formula": "=HYPERLINK(1)"},
                    error_category="data" if i % 2 else "transient",
                    error_type="builtins.ValueError",
                    error_message=f"bad value {i}",
                    fingerprint=f"fp-{i % 2}",
                )
                for i in range(n)
            ],
        )
    return sorted(r.id for r in repo.page(None, limit=1000).items)


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--url", url, "--actor", "tester"])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_show_and_json(cli_url: str, cli_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    ids = seed(cli_db)
    code, out, _ = run(capsys, cli_url, "quarantine", "list", "--dag", "dag_a", "--category", "data")
    assert code == exit_codes.OK
    assert out.splitlines()[0].startswith("ID")
    assert len(out.splitlines()) == 1 + 3 and "dag_b" not in out
    code, out, _ = run(
        capsys, cli_url, "quarantine", "list", "-o", "json", "--limit", "4", "--contains", "BAD VALUE"
    )
    page = json.loads(out)
    assert len(page["items"]) == 4 and page["next_cursor"] == page["items"][-1]["id"]
    code, out, _ = run(capsys, cli_url, "quarantine", "show", str(ids[0]), "-o", "json")
    record = json.loads(out)
    assert record["payload"] == {"i": 0, "formula": "=HYPERLINK(1)"} and record["audit"] == []
    assert run(capsys, cli_url, "quarantine", "show", "999999")[0] == exit_codes.NOT_FOUND
    assert run(capsys, cli_url, "quarantine", "list", "--task", "load")[0] == exit_codes.USAGE
    assert run(capsys, cli_url, "quarantine", "list", "--since", "yesterday")[0] == exit_codes.USAGE


def test_release_discard_and_audit(
    cli_url: str, cli_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = seed(cli_db)
    code, out, _ = run(capsys, cli_url, "quarantine", "release", str(ids[0]), str(ids[1]), "--note", "fixed")
    assert (code, out.strip()) == (exit_codes.OK, "2 changed, 0 skipped")
    code, _, err = run(capsys, cli_url, "quarantine", "discard", str(ids[0]))
    assert code == exit_codes.USAGE and "--note" in err
    code, out, _ = run(capsys, cli_url, "quarantine", "discard", str(ids[0]), "--note", "dup", "-o", "json")
    assert code == exit_codes.OK and json.loads(out)["changed"] == [ids[0]]
    # discarded -> released is not allowed: reported as skipped, exit 5
    code, out, _ = run(capsys, cli_url, "quarantine", "release", str(ids[0]), str(ids[2]), "-o", "json")
    assert code == exit_codes.PARTIAL
    assert json.loads(out)["skipped"] == {str(ids[0]): "discarded -> released"}
    assert run(capsys, cli_url, "quarantine", "release", "999999")[0] == exit_codes.NOT_FOUND
    history = AuditRepository(cli_db).history("quarantine", ids[0])
    assert [(e.action, e.actor, e.note) for e in history] == [
        ("discard", "tester", "dup"),
        ("release", "tester", "fixed"),
    ]


def test_bulk_needs_confirmation(cli_url: str, cli_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    seed(cli_db)
    code, _, err = run(capsys, cli_url, "quarantine", "release", "--fingerprint", "fp-1")
    assert code == exit_codes.ABORTED and "--yes" in err  # stdin is not a terminal under pytest
    assert QuarantineRepository(cli_db).count_by("status") == {"quarantined": 12}
    code, out, _ = run(capsys, cli_url, "quarantine", "release", "--fingerprint", "fp-1", "--yes")
    assert (code, out.strip()) == (exit_codes.OK, "6 changed, 0 skipped")
    assert QuarantineRepository(cli_db).count_by("status") == {"quarantined": 6, "released": 6}
    assert run(capsys, cli_url, "quarantine", "release")[0] == exit_codes.USAGE  # neither ids nor filters
    assert run(capsys, cli_url, "quarantine", "release", "1", "--dag", "dag_a")[0] == exit_codes.USAGE


def test_export_csv_and_jsonl(
    cli_url: str, cli_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed(cli_db)
    code, out, _ = run(capsys, cli_url, "quarantine", "export", "--format", "csv", "--dag", "dag_b")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == exit_codes.OK and len(rows) == 6 and {r["dag_id"] for r in rows} == {"dag_b"}
    assert rows[0]["payload"].startswith("{")  # JSON text; the formula inside is not at a cell start
    target = tmp_path / "out.jsonl"
    code, _, _ = run(
        capsys, cli_url, "quarantine", "export", "--file", str(target), "--status", "quarantined"
    )
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert code == exit_codes.OK and len(records) == 12 and all("traceback" in r for r in records)


def test_circuits_incidents_stats(cli_url: str, cli_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import timedelta

    from airflow_errorguard.breaker.breaker import CircuitBreaker
    from airflow_errorguard.breaker.config import Circuit
    from airflow_errorguard.storage.circuits import SqlCircuitStorage
    from airflow_errorguard.storage.incidents import IncidentRepository, Observation

    seed(cli_db)
    storage = SqlCircuitStorage(cli_db)
    CircuitBreaker(Circuit(name="crm_api"), storage).record_success()
    IncidentRepository(cli_db).observe(
        Observation(incident_key="k1", error_category="transient", dag_id="dag_a"),
        repeat_interval=timedelta(hours=1),
    )
    code, out, _ = run(capsys, cli_url, "circuits", "list", "-o", "json")
    assert code == 0 and [c["state"] for c in json.loads(out)["circuits"]] == ["closed"]
    code, out, _ = run(capsys, cli_url, "circuits", "open", "crm_api", "--note", "maintenance")
    assert (code, out.strip()) == (0, "circuit crm_api: forced_open")
    assert storage.load("crm_api").state.value == "forced_open"  # type: ignore[union-attr]
    assert AuditRepository(cli_db).history("circuit", "crm_api")[0].actor == "tester"
    for verb, state in (("close", "closed"), ("disable", "disabled"), ("reset", "closed")):
        code, out, _ = run(capsys, cli_url, "circuits", verb, "crm_api", "-o", "json")
        assert (code, json.loads(out)["state"]) == (0, state)
    assert run(capsys, cli_url, "circuits", "open", "nope")[0] == exit_codes.NOT_FOUND
    code, out, _ = run(capsys, cli_url, "incidents", "list", "-o", "json")
    assert code == 0 and [i["incident_key"] for i in json.loads(out)["incidents"]] == ["k1"]
    code, out, _ = run(capsys, cli_url, "stats", "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["quarantine_by_status"] == {"quarantined": 12}
    assert data["quarantine_by_category"] == {"data": 6, "transient": 6}
    code, out, _ = run(capsys, cli_url, "stats")
    assert code == 0 and "quarantined: 12" in out


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env.update(extra)
    return env


def test_console_script_and_module_as_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'eg.db'}"
    done = subprocess.run(
        [str(VENV_BIN / "errorguard"), "db", "upgrade", "--url", url, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["revision"]
    shown = subprocess.run(
        [sys.executable, "-m", "airflow_errorguard", "quarantine", "show", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(ERRORGUARD_URL=url),
        check=False,
    )
    assert shown.returncode == exit_codes.NOT_FOUND, shown.stderr
    usage = subprocess.run(
        [str(VENV_BIN / "errorguard"), "quarantine", "frobnicate"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        check=False,
    )
    assert usage.returncode == exit_codes.USAGE


@pytest.mark.airflow
def test_conn_id_goes_through_the_airflow_connection(cli_url: str, cli_db: Database) -> None:
    """``--conn-id`` resolves the Airflow connection with ErrorGuardHook (here from the environment)."""
    seed(cli_db, n=2)
    done = subprocess.run(
        [str(VENV_BIN / "errorguard"), "quarantine", "list", "--conn-id", "eg_cli", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(AIRFLOW_CONN_EG_CLI=cli_url),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["items"]) == 4
