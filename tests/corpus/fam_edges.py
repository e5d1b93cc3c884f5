"""
A fourth wave, measured before any change for it: TLS verification failures through clients the
``tls`` family does not use (botocore, azure-core, http.client, imaplib, ftplib, urllib3), database
connects to a server that never accepts (psycopg2, psycopg, asyncpg, pg8000, PyMySQL, SQLAlchemy),
format readers beyond the ``formats`` family (pyarrow JSON, pandas on bad encodings and columns,
pandas over SQLite, csv's sniffer), and processes killed by resource limits.
"""

from __future__ import annotations

import asyncio
import csv
import ftplib
import http.client
import imaplib
import io
import resource
import sqlite3
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import pandas as pd
import pg8000.native
import psycopg
import psycopg2
import pyarrow.json as pajson
import pymysql
import sqlalchemy as sa
import urllib3
from azure.core import PipelineClient
from azure.core.rest import HttpRequest
from botocore.config import Config

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import FullBacklog, serve
from tests.corpus.servers import Certificates, ScriptedHTTP

NEEDS_TMP = True


def _tls(family: Family, closing: list[Any], tmp: Path) -> None:
    certs = Certificates(tmp)
    good = serve(closing, ScriptedHTTP(certs.server_context(certs.good)))
    other = serve(closing, ScriptedHTTP(certs.server_context(certs.other_host)))
    untrusted = good.url("/", scheme="https")
    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=untrusted,
        region_name="us-east-1",
        aws_access_key_id="corpus",
        aws_secret_access_key="corpus",
        config=Config(retries={"total_max_attempts": 1}),
    )
    family.add(
        "boto-untrusted", s3.list_buckets, C, "an S3-compatible endpoint with an untrusted certificate"
    )

    def azure() -> None:
        client = PipelineClient(base_url=untrusted)
        client.send_request(HttpRequest("GET", untrusted + "container?restype=container"))

    family.add("azure-untrusted", azure, C, "azure-core against an untrusted certificate")

    def https_conn(port: int, cafile: str | None) -> None:
        context = ssl.create_default_context(cafile=cafile)
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=context)
        try:
            conn.request("GET", "/")
        finally:
            conn.close()

    family.add("httpclient-untrusted", lambda: https_conn(good.port, None), C, "untrusted certificate")
    family.add(
        "httpclient-hostname",
        lambda: https_conn(other.port, str(certs.ca)),
        C,
        "a certificate for another host",
    )
    family.add(
        "urllib3-untrusted",
        lambda: urllib3.PoolManager(retries=False).request("GET", untrusted),
        C,
        "urllib3 SSLError wrapping the verification failure",
    )
    family.add(
        "urllib3-untrusted-retried",
        lambda: urllib3.PoolManager(retries=urllib3.Retry(1)).request("GET", untrusted),
        C,
        "MaxRetryError after retrying an untrusted certificate",
    )
    family.add(
        "imap-ssl-untrusted",
        lambda: imaplib.IMAP4_SSL(
            "127.0.0.1", good.port, ssl_context=ssl.create_default_context(), timeout=5
        ),
        C,
        "IMAPS to a server with an untrusted certificate",
    )

    def ftps() -> None:
        client = ftplib.FTP_TLS(context=ssl.create_default_context(), timeout=1)
        try:
            client.connect("127.0.0.1", good.port)
        finally:  # the server's accept waits in its TLS handshake until this socket closes
            client.close()

    family.add(
        "ftps-greeting-garbage",
        ftps,
        {C, T},
        "an FTP client pointed at an HTTPS port: it never gets a greeting (a wrong port)",
    )


def _blackholed(family: Family, closing: list[Any]) -> None:
    hole = serve(closing, FullBacklog())
    port = hole.port
    family.add(
        "psycopg2-connect-timeout",
        lambda: psycopg2.connect(host="127.0.0.1", port=port, user="u", dbname="d", connect_timeout=1),
        T,
        "the server never accepts: connect timeout",
    )
    family.add(
        "psycopg-connect-timeout",
        lambda: psycopg.connect(host="127.0.0.1", port=port, user="u", dbname="d", connect_timeout=1),
        T,
        "psycopg 3 connect timeout",
    )
    family.add(
        "asyncpg-connect-timeout",
        lambda: asyncio.run(
            asyncpg.connect(host="127.0.0.1", port=port, user="u", database="d", timeout=0.3)
        ),
        T,
        "asyncpg connect timeout",
    )
    family.add(
        "pg8000-connect-timeout",
        lambda: pg8000.native.Connection("u", host="127.0.0.1", port=port, database="d", timeout=0.3),
        T,
        "pg8000 connect timeout",
    )
    family.add(
        "pymysql-connect-timeout",
        lambda: pymysql.connect(host="127.0.0.1", port=port, user="u", connect_timeout=0.3),
        T,
        "PyMySQL 2003 timed out",
    )

    def sqlalchemy_timeout() -> None:
        engine = sa.create_engine(
            f"postgresql+psycopg2://u@127.0.0.1:{port}/d", connect_args={"connect_timeout": 1}
        )
        try:
            engine.connect()
        finally:
            engine.dispose()

    family.add("sqlalchemy-connect-timeout", sqlalchemy_timeout, T, "wrapped connect timeout")


def _formats(family: Family, tmp: Path) -> None:
    family.add(
        "arrow-json",
        lambda: pajson.read_json(io.BytesIO(b'{"a": 1}\n{"a": \n')),
        D,
        "a truncated JSON-lines file",
    )
    latin = tmp / "latin1.csv"
    latin.write_bytes("id,name\n1,Andr\xe9\n".encode("latin-1"))
    family.add("pandas-encoding", lambda: pd.read_csv(latin), D, "a Latin-1 file read as UTF-8")
    plain = tmp / "plain.csv"
    plain.write_text("id,name\n1,a\n")
    family.add(
        "pandas-usecols",
        lambda: pd.read_csv(plain, usecols=["id", "amount"]),
        {D, C},
        "a column the file does not have",
    )
    family.add("pandas-read-parquet", lambda: pd.read_parquet(plain), D, "a CSV where Parquet was expected")
    db = sqlite3.connect(":memory:")
    family.add(
        "pandas-read-sql",
        lambda: pd.read_sql("SELECT * FROM orders", db),
        C,
        "the query names a missing table",
    )
    family.add(
        "csv-sniffer",
        lambda: csv.Sniffer().sniff(""),
        D,
        "csv.Error: the delimiter cannot be determined",
    )


def _limits(family: Family) -> None:
    def limited(limit: int, value: int, code: str) -> Any:
        def preexec() -> None:
            resource.setrlimit(limit, (value, value))

        return lambda: subprocess.run(
            [sys.executable, "-c", code], check=True, preexec_fn=preexec, capture_output=True, timeout=20
        )

    family.add(
        "child-cpu-limit",
        limited(resource.RLIMIT_CPU, 1, "while True: pass"),
        S,
        "SIGXCPU: the child exceeded its CPU time limit",
    )
    family.add(
        "child-memory-limit",
        limited(resource.RLIMIT_AS, 300 * 1024 * 1024, "x = bytearray(1 << 30)"),
        S,
        "a child that cannot allocate exits with MemoryError (exit 1 with a traceback)",
    )


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    _tls(family, closing, tmp)
    _blackholed(family, closing)
    _formats(family, tmp)
    _limits(family)
