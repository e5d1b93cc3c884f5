"""
Subprocess of the load-time bisection crash test: a guarded load of ``row_for`` rows into the
poison-row target through ``SqlTableSink``, printing the summary as JSON.

``python -m tests.guard.load_worker URL RECORDS EVERY BATCH TRY [PAUSE_MARKER]``: with a marker
path, the first write of a half-batch (the run is bisecting) touches the marker and hangs there,
inside the transaction of the fourth batch, for the test to SIGKILL the process.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from airflow_errorguard.guard import GuardedRun, GuardOptions, SqlGuardStore
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.storage.checkpoints import CheckpointKey
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from tests.guard.poison_rows import TARGET, row_for


class PausingSink(SqlTableSink):
    def __init__(self, batch: int, marker: Path | None) -> None:
        super().__init__(TARGET)
        self.batch, self.marker, self.batches = batch, marker, 0

    def write(self, connection: Any, outputs: list[Any]) -> None:
        self.batches += len(outputs) == self.batch  # each batch opens with one whole-batch write
        if self.marker is not None and len(outputs) < self.batch and self.batches > 3:
            super().write(connection, outputs)  # something of this batch is written, uncommitted
            self.marker.write_text("bisecting")
            time.sleep(120)
        super().write(connection, outputs)


def main(url: str, records: int, every: int, batch: int, try_number: int, *, marker: str | None) -> None:
    identity = TaskIdentity("eg_load", "load", "run", try_number=try_number)
    store = SqlGuardStore(
        Database(get_engine(url), conn_id="test"),
        identity,
        CheckpointKey.for_task(identity, "guarded", per_run=True),
    )
    sink = PausingSink(batch, Path(marker) if marker else None)
    run = GuardedRun(lambda n: row_for(n, every), store, GuardOptions(batch_size=batch), sink=sink)
    summary = run.run(lambda position: range(position, records))
    print(json.dumps(summary))


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        args[0],
        int(args[1]),
        int(args[2]),
        int(args[3]),
        int(args[4]),
        marker=args[5] if len(args) > 5 else None,
    )
