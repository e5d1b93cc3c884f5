"""DAGs of tests/scenarios/test_combined_options.py: documented options combined in one task.

Outputs land in files under ``$EG_SCEN_OUT``; errorguard's tables (and the sink tables) are reached
through ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (the metadata DB).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, get_current_context, task

from airflow_errorguard import (
    Backoff,
    ErrorGuardRetryPolicy,
    FrameBatches,
    QuarantineReplayOperator,
    SqlTableSink,
)
from airflow_errorguard.hooks.errorguard import ErrorGuardHook

OUT = Path(os.environ.get("EG_SCEN_OUT", "/tmp"))
START = datetime(2026, 1, 1)
FAST = Backoff(base_delay=timedelta(0), max_delay=timedelta(0), jitter="none", max_attempts=2, deadline=None)
POLICY = ErrorGuardRetryPolicy(base_delay=timedelta(milliseconds=50))
DEFAULTS: dict[str, Any] = {"retries": 1, "retry_delay": timedelta(seconds=1), "retry_policy": POLICY}


def _append(name: str, line: str) -> None:
    with (OUT / name).open("a") as f:
        f.write(line + "\n")


def _create(table: str, ddl: str) -> None:
    with ErrorGuardHook().database.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        conn.exec_driver_sql(f"CREATE TABLE {table} ({ddl})")


def _try() -> int:
    return int(get_current_context()["ti"].try_number)


# -- 1. fallback= + SqlTableSink load-time bisection + checkpoint, in a mapped task ---------------

QUOTES = "eg_combo_quotes"

with DAG("eg_combo_fallback_mapped", schedule=None, start_date=START, catchup=False, default_args=DEFAULTS):

    @task
    def create_quotes() -> None:
        _create(
            QUOTES,
            "part INTEGER NOT NULL, id INTEGER NOT NULL, source VARCHAR(10) NOT NULL, PRIMARY KEY (part, id)",
        )

    def cached_quote(rec: dict[str, Any]) -> dict[str, Any]:
        """The fallback: a cached quote. Record 13's cache entry is incomplete (rejected at load);
        record 12's cache is unreachable on try 1."""
        _append("fallback-calls.txt", f"{rec['part']}:{rec['id']}:{_try()}")
        if rec["id"] == 12 and _try() == 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return {"part": rec["part"], "id": rec["id"], "source": None if rec["id"] == 13 else "cache"}

    @task.guarded(
        fallback=cached_quote,
        sink=SqlTableSink(QUOTES),
        record_key="id",
        batch_size=5,
        max_quarantine_ratio=0.5,
        in_process_retry=FAST,
    )
    def quote(rec: dict[str, Any]) -> dict[str, Any]:
        _append("quote-calls.txt", f"{rec['part']}:{rec['id']}:{_try()}")
        if rec["id"] in (3, 13) or (rec["id"] == 12 and rec["part"] == 1):
            raise ConnectionResetError(104, "Connection reset by peer")  # fallback territory
        if rec["id"] == 7:
            raise ValueError(f"quote {rec['id']}: negative price")  # data: quarantined, never served
        return {"part": rec["part"], "id": rec["id"], "source": None if rec["id"] == 11 else "live"}

    @task
    def keep_quotes(summaries: Any) -> None:
        (OUT / "quote-summaries.json").write_text(json.dumps(list(summaries), default=str))

    parts = [[{"part": p, "id": i} for i in range(20)] for p in (0, 1)]
    mapped = quote.expand(records=parts)
    create_quotes() >> mapped
    keep_quotes(mapped)


# -- 2. FrameBatches(row_fallback=) + SqlTableSink bisection + an Airflow retry ---------------------

PRICES = "eg_combo_prices"
CHUNK = 10
ROWS = [{"sku": f"s{i:02d}", "price": {5: "n/a", 15: "-1", 35: "n/a"}.get(i, f"{i}.25")} for i in range(40)]


def read_chunks(context: Any, position: int) -> Iterator[Any]:
    import pandas as pd

    _append("chunk-reads.txt", f"{position}:{_try()}")
    frame = pd.DataFrame(ROWS[position:])
    for start in range(0, len(frame), CHUNK):
        yield frame.iloc[start : start + CHUNK]


def to_cents(frame: Any) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {"sku": frame["sku"], "cents": (frame["price"].astype(float) * 100).round().astype("int64")}
    )


def one_row(row: dict[str, Any]) -> dict[str, Any]:
    """Per-row fallback: "n/a" is still bad; s33's lookup is down for all of try 1 (an Airflow
    retry) and s37's flakes once (an in-process retry)."""
    _append("row-fallback.txt", f"{row['sku']}:{_try()}")
    if row["sku"] == "s33" and _try() == 1:
        raise ConnectionResetError(104, "Connection reset by peer")
    if row["sku"] == "s37" and not (OUT / "flaked-s37").exists():
        (OUT / "flaked-s37").touch()
        raise ConnectionResetError(104, "Connection reset by peer")
    return {"sku": row["sku"], "cents": round(float(row["price"]) * 100)}


frames = FrameBatches(to_cents, row_fallback=one_row)

with DAG("eg_combo_frames", schedule=None, start_date=START, catchup=False, default_args=DEFAULTS):

    @task
    def create_prices() -> None:
        _create(
            PRICES,
            "sku VARCHAR(10) PRIMARY KEY, cents INTEGER NOT NULL CONSTRAINT cents_positive CHECK (cents > 0)",
        )

    @task.guarded(
        sink=SqlTableSink(PRICES),
        record_key="sku",
        batch_size=CHUNK,
        max_quarantine_ratio=0.2,
        in_process_retry=FAST,
    )
    def load_prices(row: Any) -> Any:
        return frames.process(row)

    @task
    def keep_prices(summary: Any) -> None:
        (OUT / "prices-summary.json").write_text(json.dumps(summary, default=str))

    loaded = load_prices(records=frames.source(read_chunks))  # type: ignore[call-arg]
    create_prices() >> loaded
    kept = keep_prices(loaded)

    @task
    def release_all() -> None:
        hook = ErrorGuardHook()
        with hook.database.engine.connect() as conn:
            ids = [
                row[0]
                for row in conn.exec_driver_sql(
                    "SELECT id FROM errorguard_quarantine "
                    "WHERE dag_id = 'eg_combo_frames' AND status = 'quarantined'"
                )
            ]
        hook.quarantine.release(ids, actor="scenario", note="price feed fixed")

    # Replay only the most frequent failure of the summary (the "n/a" prices), by the short form of
    # its fingerprint the UI shows (8 characters, a unique prefix).
    replay = QuarantineReplayOperator(
        task_id="replay_prices",
        process=lambda row: {"sku": row["sku"], "cents": 100},
        sink=SqlTableSink(PRICES),
        source_dag_id="eg_combo_frames",
        source_task_id="load_prices",
        fingerprint="{{ ((ti.xcom_pull(task_ids='load_prices')['top_fingerprints'] | list)[0])[:8] }}",
    )

    @task
    def keep_replay(summary: Any) -> None:
        (OUT / "prices-replay.json").write_text(json.dumps(summary, default=str))

    kept >> release_all() >> replay
    keep_replay(replay.output)
