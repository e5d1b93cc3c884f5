"""
File-level idempotency: every CSV file of an inbox is loaded once per task, however often the
DAG runs over the same inbox.

``load_files`` turns each file (one day's sales, ``amount`` per line) into one row of
``eg_example_file_totals``. Each file's checksum is committed with the batch that loaded it, in
the same transaction as the row and the checkpoint; a later run skips the files already
committed and lists them in its summary (``skipped_files``); a file whose content changed has a
new checksum and is loaded again. A malformed file is quarantined (its payload names the file).

Needs ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (errorguard's tables; the target table is created in
that database, as ``SqlTableSink`` requires) and ``ERRORGUARD_INBOX``, the inbox directory (three
sample files are written there when it is empty).
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

from airflow_errorguard import FileRecords, SqlTableSink
from airflow_errorguard.hooks.errorguard import ErrorGuardHook
from airflow_errorguard.sources import FileInput

INBOX = os.environ.get("ERRORGUARD_INBOX", "/tmp/errorguard_inbox")
TABLE = "eg_example_file_totals"


def day_total(file: FileInput) -> dict[str, Any]:
    """One file, one row: the day's sales (a malformed amount is a data error: quarantined)."""
    rows = list(csv.DictReader(io.StringIO(file.read_text())))
    cents = sum(round(float(row["amount"]) * 100) for row in rows)
    return {"file": Path(file.path).name, "checksum": file.checksum, "sales": len(rows), "cents": cents}


with DAG(
    dag_id="errorguard_file_inbox",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 1},
):

    @task
    def prepare() -> None:
        inbox = Path(INBOX)
        inbox.mkdir(parents=True, exist_ok=True)
        if not any(inbox.iterdir()):
            for day, amounts in (
                ("2026-01-01", "3.50 4.25"),
                ("2026-01-02", "10.00"),
                ("2026-01-03", "2.00 1"),
            ):
                lines = "\n".join(amounts.split())
                (inbox / f"sales-{day}.csv").write_text(f"amount\n{lines}\n")
        with ErrorGuardHook().database.engine.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {TABLE} "
                "(file VARCHAR(200), checksum VARCHAR(80), sales INTEGER, cents INTEGER)"
            )

    # [START file_idempotency]
    @task.guarded(sink=SqlTableSink("eg_example_file_totals"), batch_size=1)  # one commit per file
    def load_files(file: FileInput) -> dict[str, Any]:
        return day_total(file)

    summary = load_files(records=FileRecords(INBOX, pattern="*.csv"))  # type: ignore[call-arg]
    # [END file_idempotency]

    @task
    def report(summary: Any) -> None:
        skipped = ", ".join(s["path"] for s in summary["skipped_files"]) or "none"
        print(
            f"loaded {summary['succeeded']} files, quarantined {summary['quarantined']}, skipped: {skipped}"
        )

    prepare() >> summary
    report(summary)
