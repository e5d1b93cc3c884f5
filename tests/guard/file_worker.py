"""
A guarded run over input files (``FileRecords``) into ``eg_file_totals`` through ``SqlTableSink``,
printing the summary as JSON; also imported by ``test_file_idempotency.py`` for in-process runs.

``python -m tests.guard.file_worker URL DIRECTORY RUN_ID TRY [PAUSE_MARKER]``: with a marker path,
the sink writes the third file's row (uncommitted), touches the marker and hangs there for the
test to SIGKILL the process between two file commits.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from airflow_errorguard.guard import GuardedRun, GuardOptions, SqlGuardStore
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.sources import FileInput, FileRecords
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity

TARGET = "eg_file_totals"


def create_target(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:  # no key on purpose: a file processed twice shows as two rows
            conn.exec_driver_sql(
                f"CREATE TABLE {TARGET} (name VARCHAR(200), checksum VARCHAR(80), total INTEGER)"
            )
    finally:
        engine.dispose()


def total(file: FileInput) -> dict[str, Any]:
    """One row per file: the sum of its lines (a line that is not a number is a data error)."""
    numbers = [int(line) for line in file.read_text().split()]
    return {"name": Path(file.path).name, "checksum": file.checksum, "total": sum(numbers)}


class PausingSink(SqlTableSink):
    def __init__(self, marker: Path | None) -> None:
        super().__init__(TARGET)
        self.marker, self.writes = marker, 0

    def write(self, connection: Any, outputs: list[Any]) -> None:
        super().write(connection, outputs)
        self.writes += 1
        if self.marker is not None and self.writes == 3:  # the third file's row, not committed
            self.marker.write_text("paused")
            time.sleep(120)


def run_files(url: str, directory: str, run_id: str, try_number: int, marker: str | None = None) -> dict:
    identity = TaskIdentity("eg_files", "load_files", run_id, try_number=try_number)
    store = SqlGuardStore(
        Database(get_engine(url), conn_id="test"),
        identity,
        CheckpointKey.for_task(identity, "guarded", per_run=True),
    )
    files = FileRecords(directory, pattern="*.txt").bind(store)
    sink = PausingSink(Path(marker) if marker else None)
    run = GuardedRun(total, store, GuardOptions(batch_size=1, record_key="path"), sink=sink)
    return files.report(run.run(files))


if __name__ == "__main__":
    args = sys.argv[1:]
    summary = run_files(args[0], args[1], args[2], int(args[3]), args[4] if len(args) > 4 else None)
    print(json.dumps(summary))
