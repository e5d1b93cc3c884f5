"""``errorguard quarantine purge`` as a real process on SQLite and PostgreSQL: dry run, batches, audit."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from airflow_errorguard.cli import exit_codes
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from airflow_errorguard.storage.tables.quarantine import quarantine_table as q

ERRORGUARD = Path(sys.executable).parent / "errorguard"


def _seed(db: Database) -> None:
    """12 rows: 3 each quarantined / released / replayed / discarded; the first 2 of each 200 days old."""
    repo = QuarantineRepository(db)
    repo.add(
        TaskIdentity("dag_a", "load", "r1"), [QuarantineItem(f"k{i}", {"i": i}, "data") for i in range(12)]
    )
    with db.transaction("ids", write=False) as conn:
        ids = list(conn.execute(sa.select(q.c.id).order_by(q.c.id)).scalars())
    repo.transition(ids[3:12], "released", actor="ops")
    repo.transition(ids[6:9], "replayed", actor="ops")
    repo.transition(ids[9:12], "discarded", actor="ops", note="done")
    old = datetime.now(UTC) - timedelta(days=200)
    with db.transaction("age") as conn:
        conn.execute(
            sa.update(q)
            .where(q.c.id.in_([ids[n] for n in (0, 1, 3, 4, 6, 7, 9, 10)]))
            .values(created_at=old, updated_at=old)
        )


def _cli(url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ERRORGUARD), "quarantine", "purge", *argv, "--url", url, "--actor", "retention-job"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _statuses(db: Database) -> dict[str, int]:
    with db.transaction("count", write=False) as conn:
        return dict(conn.execute(sa.select(q.c.status, sa.func.count()).group_by(q.c.status)).all())


def test_purge_dry_run_then_batches_and_audit(cli_url: str, cli_db: Database) -> None:
    _seed(cli_db)
    before = _statuses(cli_db)
    dry = _cli(cli_url, "--older-than", "90d", "--dry-run", "-o", "json")
    assert dry.returncode == exit_codes.OK, dry.stderr
    assert json.loads(dry.stdout) | {"older_than": None} == {
        "older_than": None,
        "statuses": ["replayed", "discarded"],
        "dry_run": True,
        "matching": 4,
        "deleted": 0,
    }
    assert _statuses(cli_db) == before, "a dry run deletes nothing"

    unconfirmed = _cli(cli_url, "--older-than", "90d")
    assert unconfirmed.returncode == exit_codes.ABORTED and "--yes" in unconfirmed.stderr
    assert _statuses(cli_db) == before

    done = _cli(
        cli_url, "--older-than", "90d", "--status", "discarded,replayed", "--batch-size", "3", "--yes"
    )
    assert done.returncode == exit_codes.OK, done.stderr
    assert "deleted 4 record(s)" in done.stdout
    assert _statuses(cli_db) == {"quarantined": 3, "released": 3, "replayed": 1, "discarded": 1}
    with cli_db.transaction("audit", write=False) as conn:
        audit = conn.execute(
            sa.text("SELECT actor, state_after FROM errorguard_audit WHERE action = 'purge'")
        ).all()
    assert len(audit) == 1 and audit[0][0] == "retention-job"
    assert json.loads(audit[0][1])["deleted"] == 4


def test_purge_refuses_bad_input_and_released_rows(cli_url: str, cli_db: Database) -> None:
    _seed(cli_db)
    bad_age = _cli(cli_url, "--older-than", "ninety days", "--yes")
    assert bad_age.returncode == 2 and "--older-than must look like 90d" in bad_age.stderr
    bad_status = _cli(cli_url, "--older-than", "90d", "--status", "replayed,gone", "--yes")
    assert bad_status.returncode == 2 and "--status takes" in bad_status.stderr
    released = _cli(cli_url, "--older-than", "90d", "--status", "released", "--yes")
    assert released.returncode == exit_codes.USAGE and "--include-released" in released.stderr
    forced = _cli(cli_url, "--older-than", "90d", "--status", "released", "--include-released", "--yes")
    assert forced.returncode == exit_codes.OK and "deleted 2 record(s)" in forced.stdout
