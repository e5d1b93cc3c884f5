"""``--fingerprint`` with the short form the docs and the UI show (issue 17 §2), as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from airflow_errorguard import classify
from airflow_errorguard.cli import exit_codes
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem

ERRORGUARD = str(Path(sys.executable).parent / "errorguard")


def _cli(url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "ERRORGUARD_"))}
    return subprocess.run(
        [ERRORGUARD, "--url", url, *argv], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def _seed(db: Database) -> dict[str, str]:
    """Rows with real fingerprints, plus two crafted ones sharing their first 8 characters."""
    real = {
        "value": classify(ValueError("amount 'x' is not a number")).fingerprint,
        "key": classify(KeyError("customer_id")).fingerprint,
    }
    twins = {"twin_a": "c0ffee00aaaa1111", "twin_b": "c0ffee00bbbb2222"}
    identity = TaskIdentity(dag_id="orders", task_id="clean", run_id="r1", try_number=1)
    QuarantineRepository(db).add(
        identity,
        [
            QuarantineItem(record_key=f"{name}-{i}", payload={"i": i}, error_category="data", fingerprint=fp)
            for name, fp in {**real, **twins}.items()
            for i in range(3)
        ],
    )
    return {**real, **twins}


def test_short_fingerprint_prefix_bulk_discard(cli_url: str, cli_db: Database) -> None:
    fps = _seed(cli_db)
    short = fps["value"][:8]
    done = _cli(cli_url, "quarantine", "discard", "--fingerprint", short, "--note", "test data", "--yes")
    assert done.returncode == exit_codes.OK, done.stderr
    assert done.stdout.strip() == "3 changed, 0 skipped"
    listed = _cli(cli_url, "quarantine", "list", "-o", "json", "--status", "discarded")
    assert {r["fingerprint"] for r in json.loads(listed.stdout)["items"]} == {fps["value"]}
    full = _cli(cli_url, "quarantine", "list", "-o", "json", "--fingerprint", fps["key"])
    assert len(json.loads(full.stdout)["items"]) == 3


def test_ambiguous_unknown_and_too_short_prefixes_fail_loudly(cli_url: str, cli_db: Database) -> None:
    fps = _seed(cli_db)
    ambiguous = _cli(cli_url, "quarantine", "discard", "--fingerprint", "c0ffee00", "--note", "x", "--yes")
    assert ambiguous.returncode == exit_codes.USAGE
    assert "ambiguous" in ambiguous.stderr
    assert fps["twin_a"] in ambiguous.stderr and fps["twin_b"] in ambiguous.stderr
    unknown = _cli(cli_url, "quarantine", "release", "--fingerprint", "0badc0de", "--yes")
    assert unknown.returncode == exit_codes.NOT_FOUND
    assert "no quarantined record has a fingerprint equal to or starting with '0badc0de'" in unknown.stderr
    short = _cli(cli_url, "quarantine", "list", "--fingerprint", fps["key"][:4])
    assert short.returncode == exit_codes.NOT_FOUND and "at least 6 characters" in short.stderr
    # Resolved among the rows the other filters match.
    other_dag = _cli(cli_url, "quarantine", "list", "--dag", "other", "--fingerprint", fps["key"][:8])
    assert other_dag.returncode == exit_codes.NOT_FOUND and "matching the other filters" in other_dag.stderr
    nothing_changed = _cli(cli_url, "quarantine", "list", "-o", "json", "--status", "quarantined")
    assert len(json.loads(nothing_changed.stdout)["items"]) == 12
