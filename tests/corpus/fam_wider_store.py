"""A third wave of unseen clients, raised live where no broker or server of theirs runs here:
pymongo (refused, URIs it rejects, an SRV name that does not exist), kafka-python (no broker, a
configuration it does not know), psycopg_pool against PostgreSQL (a closed pool)
and fsspec's HTTP filesystem against the scripted server."""

from __future__ import annotations

from typing import Any

import fsspec
import kafka
import kafka.errors
import psycopg_pool
import pymongo

from tests.corpus.fam_postgres import admin_connection
from tests.corpus.model import C, Family, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import ScriptedHTTP, free_port

#: kafka-python 2.3+ waits bootstrap_timeout_ms (30 s by default) for a broker, whatever max_block_ms
#: says; older releases fail at once and do not know the key.
_QUICK = {"bootstrap_timeout_ms": 500} if "bootstrap_timeout_ms" in kafka.KafkaProducer.DEFAULT_CONFIG else {}


def build(family: Family, closing: list[Any]) -> None:
    refused = free_port()
    for name, run, accept, why in (
        (
            "mongo-refused",
            lambda: pymongo.MongoClient("127.0.0.1", refused, serverSelectionTimeoutMS=300).admin.command(
                "ping"
            ),
            T,
            "ServerSelectionTimeoutError: no server answered (refused)",
        ),
        ("mongo-scheme", lambda: pymongo.MongoClient("mongo://127.0.0.1"), C, "InvalidURI: not mongodb://"),
        (
            "mongo-auth-source",
            lambda: pymongo.MongoClient("mongodb://127.0.0.1/?authSource=", connect=False),
            C,
            "InvalidURI: an empty authSource in the connection string",
        ),
        (
            "mongo-srv-missing",
            lambda: pymongo.MongoClient("mongodb+srv://no-such-host.invalid/", serverSelectionTimeoutMS=300),
            C,
            "ConfigurationError: the SRV record's name does not exist",
        ),
        (
            "mongo-pool-size",
            lambda: pymongo.MongoClient("127.0.0.1", maxPoolSize=-1, connect=False),
            C,
            "a negative maxPoolSize",
        ),
        (
            "kafka-no-broker",
            lambda: kafka.KafkaProducer(bootstrap_servers=f"127.0.0.1:{refused}", max_block_ms=500, **_QUICK),
            T,
            "KafkaTimeoutError: unable to bootstrap (the broker is down)",
        ),
        (
            "kafka-unknown-config",
            lambda: kafka.KafkaProducer(bootstrap_servers=f"127.0.0.1:{refused}", no_such_option=1),
            C,
            "a configuration key the client does not know",
        ),
    ):
        family.add(name, run, accept, why)
    # No broker runs here: broker answers are constructed, with codes newer than the knowledge's
    # table, which the classifier reads through the client's own retriable flag.
    for name in ("OffsetNotAvailableError", "EligibleLeadersNotAvailableError"):
        error = getattr(kafka.errors, name, None)
        if error is not None:
            family.add(f"kafka-{name}", error(), T, "a retriable broker code", constructed=True)
    _pool_cases(family, closing)
    _fsspec_cases(family, closing)


def _pool_cases(family: Family, closing: list[Any]) -> None:
    admin, server = admin_connection()
    admin.close()
    conninfo = " ".join(f"{k}={v}" for k, v in server.items()) + " dbname=postgres"
    # An exhausted pool (PoolTimeout) is the sqlalchemy family's psycopg-pool-timeout case.
    closed = psycopg_pool.ConnectionPool(conninfo, min_size=0, max_size=1, open=True)
    closed.close()
    family.add("pool-closed", closed.getconn, C, "PoolClosed: the code uses a pool it closed")


def _fsspec_cases(family: Family, closing: list[Any]) -> None:
    http = serve(closing, ScriptedHTTP())
    fs = fsspec.filesystem("http", skip_instance_cache=True)
    for code, accept, why in (
        (404, C, "the file is not at that URL (FileNotFoundError)"),
        (403, C, "the credentials lack permission"),
        (503, T, "the server is unavailable"),
        (500, T, "a server-side error"),
    ):
        family.add(f"fsspec-http-{code}", lambda c=code: fs.cat(http.url(f"/status/{c}")), accept, why)
