"""
SQLAlchemy: driver errors as SQLAlchemy wraps them (``sqlalchemy.exc.*`` with the driver's error in
``orig``) on PostgreSQL (psycopg2, psycopg 3, asyncpg), MariaDB (PyMySQL) and SQLite, plus the
errors SQLAlchemy raises itself: pool timeouts, unknown dialects, unparsable URLs, reflection of a
missing table, ORM result-shape errors. psycopg 3's own connection pool beside it.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.corpus.model import C, D, Family, ServiceMissing, T, U
from tests.corpus.servers import free_port

PG = os.environ.get("ERRORGUARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_HOSTPORT = PG.split("@", 1)[1].split("/", 1)[0]
MYSQL = "mysql+pymysql://root@127.0.0.1:3306/"


def _engine(url: str, closing: list[Any], **kwargs: Any) -> sa.Engine:
    engine = sa.create_engine(url, **kwargs)
    closing.append(engine.dispose)
    return engine


def build(family: Family, closing: list[Any]) -> None:  # noqa: PLR0915 (one statement per case)
    pg = _engine(PG.replace("postgresql://", "postgresql+psycopg2://"), closing, pool_size=1, max_overflow=0)
    try:
        with pg.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        raise ServiceMissing(f"PostgreSQL at {PG_HOSTPORT}", exc) from exc
    pg3 = _engine(PG.replace("postgresql://", "postgresql+psycopg://"), closing)

    def on(engine: sa.Engine, *statements: str) -> Any:
        def go() -> None:
            with engine.begin() as conn:
                conn.execute(
                    sa.text("CREATE TEMP TABLE t (id int PRIMARY KEY, n int NOT NULL, s varchar(3))")
                )
                conn.execute(sa.text("INSERT INTO t VALUES (1, 1, 'a')"))
                for statement in statements:
                    conn.execute(sa.text(statement))

        return go

    for label, engine in (("psycopg2", pg), ("psycopg", pg3)):
        family.add(
            f"{label}-unique", on(engine, "INSERT INTO t VALUES (1, 2, 'b')"), D, "IntegrityError 23505"
        )
        family.add(f"{label}-not-null", on(engine, "INSERT INTO t VALUES (2, NULL, 'b')"), D, "23502")
        family.add(
            f"{label}-too-long", on(engine, "INSERT INTO t VALUES (3, 1, 'abcd')"), D, "DataError 22001"
        )
        family.add(f"{label}-bad-int", on(engine, "SELECT 'x1'::int"), D, "DataError 22P02")
        family.add(
            f"{label}-no-table", on(engine, "SELECT * FROM missing_table"), C, "ProgrammingError 42P01"
        )
        family.add(f"{label}-no-column", on(engine, "SELECT missing_col FROM t"), C, "ProgrammingError 42703")
        family.add(
            f"{label}-statement-timeout",
            on(engine, "SET LOCAL statement_timeout = 50", "SELECT pg_sleep(2)"),
            T,
            "OperationalError 57014 query canceled",
        )
    family.add("psycopg2-divide", on(pg, "SELECT 1/0"), D, "DataError 22012")
    family.add(
        "psycopg2-unknown-db",
        lambda: _engine(PG.rsplit("/", 1)[0] + "/no_such_db_corpus13", closing).connect(),
        C,
        "OperationalError: database does not exist",
    )
    family.add(
        "psycopg2-refused",
        lambda: _engine(f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/x", closing).connect(),
        T,
        "OperationalError: connection refused",
    )
    family.add(
        "psycopg2-unknown-role",
        lambda: _engine(PG.replace("postgres@", "no_such_role_corpus13@", 1), closing).connect(),
        C,
        "OperationalError: role does not exist",
    )

    def pool_exhausted() -> None:
        engine = _engine(
            str(pg.url.render_as_string(hide_password=False)),
            closing,
            pool_size=1,
            max_overflow=0,
            pool_timeout=0.1,
        )
        with engine.connect():
            engine.connect()

    family.add("pool-timeout", pool_exhausted, T, "QueuePool limit reached: a busy pool")
    family.add(
        "no-such-dialect",
        lambda: sa.create_engine("postgress://u@h/db"),
        C,
        "NoSuchModuleError: a typo in the URL",
    )
    family.add("bad-url", lambda: sa.create_engine("not a database url"), C, "ArgumentError: unparsable URL")
    family.add(
        "missing-driver",
        lambda: sa.create_engine("mssql+pymssql://u@h/db"),
        C,
        "ModuleNotFoundError: the DBAPI driver is not installed",
    )
    family.add(
        "reflect-missing",
        lambda: sa.Table("no_such_table", sa.MetaData(), autoload_with=pg),
        C,
        "NoSuchTableError",
    )

    def scalar_one(sql: str) -> Any:
        def go() -> None:
            with pg.connect() as conn:
                conn.execute(sa.text(sql)).scalar_one()

        return go

    family.add(
        "no-result",
        scalar_one("SELECT 1 WHERE false"),
        {D, U},
        "NoResultFound: the expected row is not there",
    )
    family.add(
        "multiple-results",
        scalar_one("SELECT 1 UNION ALL SELECT 2"),
        {D, U},
        "MultipleResultsFound: duplicates",
    )

    def closed_result() -> None:
        with pg.connect() as conn:
            result = conn.execute(sa.text("SELECT 1"))
            result.close()
            result.fetchall()

    family.add("closed-result", closed_result, {C, U}, "ResourceClosedError: a defect in the task code")

    def asyncpg_run(sql: str, url: str = PG) -> Any:
        async def go() -> None:
            engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
            try:
                async with engine.begin() as conn:
                    await conn.execute(sa.text(sql))
            finally:
                await engine.dispose()

        return lambda: asyncio.run(go())

    family.add("asyncpg-bad-int", asyncpg_run("SELECT 'x1'::int"), D, "DBAPIError wrapping asyncpg 22P02")
    family.add("asyncpg-no-table", asyncpg_run("SELECT * FROM missing_table"), C, "ProgrammingError 42P01")
    family.add(
        "asyncpg-unknown-db",
        asyncpg_run("SELECT 1", PG.rsplit("/", 1)[0] + "/no_such_db_corpus13"),
        C,
        "InvalidCatalogNameError",
    )
    family.add(
        "asyncpg-refused",
        asyncpg_run("SELECT 1", f"postgresql://postgres@127.0.0.1:{free_port()}/x"),
        T,
        "connection refused through SQLAlchemy",
    )

    def psycopg_pool_timeout() -> None:
        from psycopg_pool import ConnectionPool

        with (
            ConnectionPool(PG, min_size=1, max_size=1, timeout=0.2) as pool,
            pool.connection(),
            pool.connection(),
        ):
            pass

    try:
        import psycopg_pool  # noqa: F401
    except ImportError:
        pass
    else:
        family.add("psycopg-pool-timeout", psycopg_pool_timeout, T, "PoolTimeout: every connection busy")

    # -- MariaDB through SQLAlchemy ----------------------------------------------------------
    my = _engine(MYSQL, closing)
    try:
        with my.connect():
            pass
    except sa.exc.OperationalError:
        return
    family.add(
        "pymysql-unknown-db", lambda: _engine(MYSQL + "no_such_db_corpus13", closing).connect(), C, "1049"
    )
    family.add(
        "pymysql-no-table",
        lambda: my.connect().execute(sa.text("SELECT * FROM mysql.no_such_table")),
        C,
        "ProgrammingError 1146",
    )
    family.add(
        "pymysql-syntax",
        lambda: my.connect().execute(sa.text("SELEC 1")),
        C,
        "ProgrammingError 1064: bad SQL",
    )
    family.add(
        "pymysql-refused",
        lambda: _engine(f"mysql+pymysql://root@127.0.0.1:{free_port()}/", closing).connect(),
        T,
        "2003 can't connect",
    )
    family.add(
        "pymysql-denied",
        lambda: _engine("mysql+pymysql://no_such_user_c13:pw@127.0.0.1:3306/", closing).connect(),
        C,
        "1045 access denied",
    )

    # -- SQLite through SQLAlchemy -------------------------------------------------------------
    lite = _engine("sqlite://", closing)
    family.add(
        "sqlite-no-table", lambda: lite.connect().execute(sa.text("SELECT * FROM nope")), C, "no such table"
    )
    family.add(
        "sqlite-readonly-path",
        lambda: _engine("sqlite:////proc/corpus13.db", closing).connect(),
        C,
        "unable to open database file: a wrong path",
    )
