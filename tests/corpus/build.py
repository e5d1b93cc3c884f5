"""
The classification corpus: exceptions raised live, at test time, by real client libraries against
real services on loopback (PostgreSQL, MariaDB, Redis, RabbitMQ on the machine; HTTP, TLS, gRPC,
SMTP and scripted protocol servers started in-process). Each case names the categories that are
acceptable for it and why. ``tests/corpus/test_corpus.py`` and
``benchmarks/bench_classification_accuracy.py`` use it; ``python -m tests.corpus.build [family...]``
prints each case's verdict.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.corpus.model import Case, Family, ServiceMissing

#: Family name -> module (``tests.corpus.fam_<module>``) with ``build(family, closing)``.
FAMILIES: dict[str, str] = {
    "smtp": "fam_smtp",
    "amqp": "fam_amqp",
    "grpc": "fam_grpc",
    "redis": "fam_redis",
    "process": "fam_process",
    "formats": "fam_formats",
    "postgres": "fam_postgres",
    "mysql": "fam_mysql",
    "sqlite": "fam_sqlite",
    "cloud": "fam_cloud",
    "tls": "fam_tls",
    "http": "fam_http",
    "ties": "fam_ties",
    "webclients": "fam_webclients",
    "sqlalchemy": "fam_sqlalchemy",
    "oslevel": "fam_oslevel",
    "userdata": "fam_userdata",
    "airflow": "fam_airflowexc",
    "queues": "fam_queues",
    "mailftp": "fam_mailftp",
    "awsextra": "fam_awsextra",
    "beyond": "fam_beyond",
    "misc": "fam_misc",
    "edges": "fam_edges",
    "settings": "fam_settings",
    "errorguard": "fam_errorguard",
    "deeperpg": "fam_deeper_pg",
    "deepermysql": "fam_deeper_mysql",
    "deeperwire": "fam_deeper_wire",
    "deeperrpc": "fam_deeper_rpc",
    "deeperhost": "fam_deeper_host",
    "widersql": "fam_wider_sql",
    "widerhttp": "fam_wider_http",
    "widerwire": "fam_wider_wire",
    "widerformats": "fam_wider_formats",
    "widermore": "fam_wider_more",
    "widerstore": "fam_wider_store",
    "mqtt": "fam_mqtt",
    "nats": "fam_nats",
    "duckdb": "fam_duckdb",
    "polars": "fam_polars",
    "pgcodes": "fam_pg_codes",
    "googleauth": "fam_google_auth",
    "secrets": "fam_secrets",
    "minio": "fam_minio",
    "oauth": "fam_oauth",
    "tornado": "fam_tornado",
    "dns": "fam_dns",
    "alembic": "fam_alembic",
    "compression": "fam_compression",
    "asyncio": "fam_asyncio_clients",
    "sqlorm": "fam_sqlorm",
    "numpy": "fam_numpy",
    "multiproc": "fam_multiproc",
    "pysettings": "fam_pysettings",
    "cryptolibs": "fam_cryptolibs",
    "providers": "fam_providers",
    "provssh": "fam_prov_ssh",
    "provredis": "fam_prov_redis",
    "provsmtp": "fam_prov_smtp",
    "provio": "fam_prov_io",
    "provstd": "fam_prov_std",
    "templating": "fam_templating",
    "retrylibs": "fam_retrylibs",
    "moreclients": "fam_moreclients",
    "saas": "fam_saas",
    "warehouses": "fam_warehouses",
    "ingestion": "fam_ingestion",
}


@contextmanager
def corpus(families: list[str] | None = None) -> Iterator[tuple[list[Case], dict[str, str]]]:
    """
    Raise the corpus; yields ``(cases, missing)`` where *missing* maps a family whose service is not
    reachable to why. Every server started is stopped on exit.
    """
    closing: list[Callable[[], Any]] = []
    cases: list[Case] = []
    missing: dict[str, str] = {}
    timings: dict[str, float] = {}
    tmp = tempfile.TemporaryDirectory(prefix="errorguard-corpus-")
    try:
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        for name in families or list(FAMILIES):
            module = importlib.import_module(f"tests.corpus.{FAMILIES[name]}")
            family = Family(name)
            started = time.monotonic()
            try:
                if getattr(module, "NEEDS_TMP", False):
                    module.build(family, closing, Path(tmp.name))
                else:
                    module.build(family, closing)
            except ServiceMissing as exc:
                missing[name] = str(exc)
                continue
            cases.extend(family.cases)
            timings[name] = time.monotonic() - started
        if os.environ.get("ERRORGUARD_CORPUS_TIMINGS"):
            print(
                "corpus build seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()),
                file=sys.stderr,
            )
        yield cases, missing
    finally:
        for close in reversed(closing):
            try:
                close()
            except Exception as exc:
                print(f"corpus: closing failed: {exc!r}", file=sys.stderr)
        tmp.cleanup()


def main(argv: list[str]) -> int:
    from airflow_errorguard.classification.classifier import Classifier

    classifier = Classifier()
    started = time.monotonic()
    with corpus(argv or None) as (cases, missing):
        built = time.monotonic() - started
        bad = 0
        for case in cases:
            verdict = classifier.classify(case.exc)
            ok = verdict.category in case.accept
            bad += not ok
            mark = "ok " if ok else "BAD"
            accept = "/".join(sorted(c.value for c in case.accept))
            print(f"{mark} {case.id:40} {verdict.category.value:13} want {accept:28} {verdict.reason[:110]}")
        print(f"{len(cases) - bad}/{len(cases)} acceptable; built in {built:.1f}s; missing: {missing}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
