"""
DataFrame batches: a CSV of 5,000 price rows, 2 % of them malformed (a price that is not a
number, an empty price, a date that does not exist), read in chunks of 1,000 rows with pandas,
transformed **vectorised** per chunk and loaded into a SQL table.

``load`` ends in SUCCESS on its first try: a chunk whose transform raises is bisected until the
malformed rows stand alone; they are quarantined with the CSV row as payload and the pandas error
as reason, and every other row is loaded exactly once with ``SqlTableSink`` (one checkpoint per
chunk: a retry resumes at the first uncommitted chunk, reading the CSV from that row on).

Needs ``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` (errorguard's tables; PostgreSQL in production, SQLite
works too): the target table is created in that database. The CSV is written to
``$PRICES_CSV`` (default ``/tmp/errorguard_prices.csv``). Needs pandas
(``pip install 'airflow-errorguard[dataframe]'``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, task

from airflow_errorguard import GuardedOperator, SqlTableSink
from airflow_errorguard.guard.frames import FrameBatches
from airflow_errorguard.hooks.errorguard import ErrorGuardHook

CSV = os.environ.get("PRICES_CSV", "/tmp/errorguard_prices.csv")
TABLE = "eg_example_prices"
CHUNK = 1000


def csv_line(n: int) -> str:
    """Row *n* of the CSV; one in 50 is malformed."""
    price, day = f"{n % 200 + 1}.99", f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
    if n % 150 == 11:
        price = "n/a"
    elif n % 150 == 61:
        price = ""
    elif n % 150 == 111:
        day = "2026-02-30"
    return f"sku-{n},{price},{day}"


# [START frames_transform]
def read_chunks(context: Any, position: int) -> Iterator[Any]:
    """The CSV from data row *position* on (rows before it are committed), 1,000 rows a chunk."""
    import pandas as pd

    skip = range(1, position + 1)  # keep the header line
    yield from pd.read_csv(CSV, dtype=str, keep_default_na=False, skiprows=skip, chunksize=CHUNK)


def to_prices(frame: Any) -> Any:
    """Vectorised: one malformed value fails the whole chunk."""
    import pandas as pd

    return pd.DataFrame(
        {
            "sku": frame["sku"],
            "price_cents": (pd.to_numeric(frame["price"], errors="raise") * 100).round().astype("int64"),
            "valid_from": pd.to_datetime(frame["valid_from"], format="%Y-%m-%d").dt.strftime("%Y-%m-%d"),
        }
    )


prices = FrameBatches(to_prices)  # or FrameBatches(to_prices, row_fallback=one_row)
# [END frames_transform]

with DAG(
    dag_id="errorguard_csv_frames",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
):

    @task
    def prepare() -> None:
        with open(CSV, "w") as out:
            out.write("sku,price,valid_from\n" + "".join(f"{csv_line(n)}\n" for n in range(5000)))
        with ErrorGuardHook().database.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
            conn.exec_driver_sql(
                f"CREATE TABLE {TABLE} (sku VARCHAR(20) PRIMARY KEY, price_cents INTEGER NOT NULL, "
                "valid_from DATE NOT NULL)"
            )

    # [START frames_load]
    load = GuardedOperator(
        task_id="load",
        records=prices.source(read_chunks),
        process=prices.process,
        sink=SqlTableSink("eg_example_prices"),
        batch_size=CHUNK,  # one commit (rows, quarantine, checkpoint) per chunk
        max_quarantine_ratio=0.05,
    )
    # [END frames_load]

    prepare() >> load
