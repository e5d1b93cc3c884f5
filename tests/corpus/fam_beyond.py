"""
A second wave, written after the knowledge of the first eight new families and measured before any
change for it: TLS material that is not where the settings say, DataFrame and Arrow errors, locale
and time-zone names, an Airflow sensor that times out, XML-RPC and bare ``http.client`` replies,
asyncpg pools and roles, SQLite misuse, botocore waiters, and settings clients reject early.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import http.client
import io
import locale
import os
import shutil
import sqlite3
import ssl
import xmlrpc.client
import zoneinfo
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import httpx
import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import requests
from botocore.config import Config

from tests.corpus.fam_cloud import _aws_json
from tests.corpus.model import C, D, Family, T, U
from tests.corpus.rawservers import RawServer, serve
from tests.corpus.servers import ScriptedHTTP, free_port

NEEDS_TMP = True
PG = os.environ.get("ERRORGUARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _tls_cases(family: Family, tmp: Path) -> None:
    missing = str(tmp / "no-such-ca.pem")
    family.add(
        "requests-ca-path",
        lambda: requests.get("https://127.0.0.1:1/", verify=missing, timeout=5),
        C,
        "verify= names a CA bundle that is not there",
    )
    family.add(
        "requests-client-cert",
        lambda: requests.get("https://127.0.0.1:1/", cert=(missing, missing), timeout=5),
        C,
        "cert= names a client certificate that is not there",
    )
    family.add("httpx-ca-path", lambda: httpx.get("https://127.0.0.1:1/", verify=missing), C, "no CA bundle")
    family.add("ssl-cafile", lambda: ssl.create_default_context(cafile=missing), C, "no CA file")
    family.add(
        "psycopg2-ssl-required",
        lambda: psycopg2.connect(PG + "?sslmode=require", connect_timeout=5),
        C,
        "sslmode=require against a server without TLS",
    )
    family.add(
        "requests-negative-timeout",
        lambda: requests.get("http://127.0.0.1:1/", timeout=-1),
        C,
        "a negative timeout setting",
    )
    family.add(
        "requests-socks-proxy",
        lambda: requests.get("http://x.test/", proxies={"http": "socks5://127.0.0.1:1"}, timeout=5),
        C,
        "a SOCKS proxy without the SOCKS extra installed",
    )


def _frame_cases(family: Family) -> None:
    frame = pd.DataFrame({"id": [1, 1], "amount": [1.0, None]})
    family.add("pandas-column", lambda: frame["customer_id"], {D, C}, "a column the input lacks")
    family.add("pandas-to-datetime", lambda: pd.to_datetime(["2026-13-45"]), D, "a date out of range")
    family.add("pandas-int-nan", lambda: frame["amount"].astype("int64"), D, "a null in an integer column")
    family.add(
        "pandas-merge-validate",
        lambda: pd.merge(frame, frame[:1], on="id", validate="one_to_one"),
        D,
        "duplicate keys where one-to-one was required",
    )
    family.add(
        "pandas-out-of-bounds",
        lambda: pd.Timestamp("3000-01-01").as_unit("ns"),
        D,
        "a timestamp outside the nanosecond range",
    )
    family.add("pandas-missing-file", lambda: pd.read_csv("/no/such/input.csv"), C, "a wrong input path")
    family.add("arrow-cast", lambda: pa.array(["a"]).cast(pa.int64()), D, "a string that is not an integer")
    family.add(
        "parquet-not-parquet", lambda: pq.read_table(io.BytesIO(b"not parquet")), D, "not a Parquet file"
    )
    family.add(
        "arrow-schema",
        lambda: pa.Table.from_pylist([{"a": "x"}], schema=pa.schema([("a", pa.int64())])),
        D,
        "a value that does not fit the schema",
    )


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    _tls_cases(family, tmp)
    _frame_cases(family)
    family.add(
        "zoneinfo-unknown", lambda: zoneinfo.ZoneInfo("Europe/Atlantis"), {C, D}, "an unknown time zone name"
    )
    family.add(
        "locale-unknown",
        lambda: locale.setlocale(locale.LC_ALL, "xx_YY.UTF-8"),
        C,
        "the locale is not installed on the worker",
    )
    family.add(
        "csv-writer-extra",
        lambda: csv.DictWriter(io.StringIO(), fieldnames=["a"]).writerow({"a": 1, "b": 2}),
        {D, C},
        "a record with a field the output does not declare",
    )
    same = tmp / "same.txt"
    same.write_text("x")
    family.add("shutil-same-file", lambda: shutil.copy(same, same), {C, D}, "source and target are the same")

    def cancelled() -> None:
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        future.cancel()
        future.result()

    family.add("future-cancelled", cancelled, {T, U}, "the work was cancelled")
    # -- SQLite misuse -------------------------------------------------------------------------
    done = sqlite3.connect(":memory:")
    done.close()
    family.add(
        "sqlite-closed", lambda: done.execute("SELECT 1"), {C, U}, "a closed connection used (a defect)"
    )
    live = sqlite3.connect(":memory:")
    closing.append(live.close)
    family.add(
        "sqlite-bind-dict",
        lambda: live.execute("SELECT ?", ({"a": 1},)),
        {D, C},
        "a value of a type SQLite cannot bind",
    )
    family.add(
        "sqlite-read-only-missing",
        lambda: sqlite3.connect(f"file:{tmp / 'absent.db'}?mode=ro", uri=True),
        C,
        "a read-only open of a database file that is not there",
    )
    # -- Airflow sensor --------------------------------------------------------------------------
    from airflow.providers.standard.sensors.python import PythonSensor

    sensor = PythonSensor(
        task_id="wait_for_partner_file", python_callable=lambda: False, timeout=0.1, poke_interval=0.02
    )
    family.add(
        "airflow-sensor-timeout",
        lambda: sensor.execute(context={}),
        {T, C},
        "a real PythonSensor ran past its timeout: what it waits for has not come",
    )
    # -- XML-RPC and http.client ------------------------------------------------------------------
    web = serve(closing, ScriptedHTTP())
    not_http = serve(closing, RawServer(b"SSH-2.0-OpenSSH_9.6\r\n"))
    family.add(
        "xmlrpc-503",
        lambda: xmlrpc.client.ServerProxy(web.url("/status/503/RPC2")).etl.load(1),
        T,
        "XML-RPC ProtocolError with errcode 503",
    )
    family.add(
        "xmlrpc-401",
        lambda: xmlrpc.client.ServerProxy(web.url("/status/401/RPC2")).etl.load(1),
        C,
        "XML-RPC ProtocolError with errcode 401",
    )
    family.add(
        "xmlrpc-refused",
        lambda: xmlrpc.client.ServerProxy(f"http://127.0.0.1:{free_port()}/").etl.load(1),
        T,
        "refused",
    )

    def raw_get(port: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/")
            conn.getresponse()
        finally:
            conn.close()

    family.add(
        "httpclient-not-http", lambda: raw_get(not_http.port), {C, T}, "BadStatusLine: another protocol"
    )
    family.add(
        "httpclient-bad-port",
        lambda: http.client.HTTPConnection("127.0.0.1:abc"),
        C,
        "InvalidURL: a non-numeric port in the setting",
    )

    # -- asyncpg pools and roles ---------------------------------------------------------------
    async def pool_exhausted() -> None:
        async with asyncpg.create_pool(PG, min_size=1, max_size=1) as pool, pool.acquire():
            await pool.acquire(timeout=0.1)

    family.add("asyncpg-pool-timeout", lambda: asyncio.run(pool_exhausted()), T, "every connection busy")

    async def unknown_role() -> None:
        await asyncpg.connect(PG.replace("postgres@", "no_role_c13@", 1), timeout=5)

    family.add("asyncpg-unknown-role", lambda: asyncio.run(unknown_role()), C, "the role does not exist")
    # -- botocore waiter ------------------------------------------------------------------------
    ddb = boto3.session.Session().client(
        "dynamodb",
        endpoint_url=web.url(),
        region_name="us-east-1",
        aws_access_key_id="corpus",
        aws_secret_access_key="corpus",
        config=Config(retries={"total_max_attempts": 1}),
    )

    def wait_for_table() -> None:
        web.next = _aws_json(400, "dynamodb", "ResourceNotFoundException", "Requested resource not found")
        ddb.get_waiter("table_exists").wait(TableName="orders", WaiterConfig={"Delay": 0, "MaxAttempts": 2})

    family.add(
        "boto-waiter",
        wait_for_table,
        {T, C},
        "WaiterError: the table did not appear in time (not yet created, or a wrong name)",
    )
