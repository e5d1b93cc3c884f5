"""Airflow provider hooks and operators as tasks use them, raised live: ``HttpHook``/``HttpOperator``
against an in-process HTTP server (``AirflowException("404:Not Found")`` over the requests error,
``run_with_advanced_retry`` giving up through tenacity, missing connection ids, unreachable and
unresolvable hosts) and ``PostgresHook``/``SQLExecuteQueryOperator`` against the local PostgreSQL
(SQL errors through the hook, connection settings that cannot work, a hook that is not SQL).
Connections come from ``AIRFLOW_CONN_<ID>`` variables, as deployments give them."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

import tenacity
from airflow.providers.common.sql.operators.sql import (
    SQLCheckOperator,
    SQLColumnCheckOperator,
    SQLExecuteQueryOperator,
    SQLTableCheckOperator,
    SQLThresholdCheckOperator,
    SQLValueCheckOperator,
)
from airflow.providers.http.hooks.http import HttpHook
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.providers.standard.operators.bash import BashOperator

from tests.corpus.model import C, D, Family, T, U
from tests.corpus.rawservers import serve
from tests.corpus.servers import Reply, ScriptedHTTP, free_port, pg_database


def _connections(closing: list[Any], **uris: str) -> None:
    """``AIRFLOW_CONN_<ID>`` for each *uris* entry, restored when the corpus closes."""
    before = {key: os.environ.get(key) for key in (f"AIRFLOW_CONN_{name.upper()}" for name in uris)}
    for name, uri in uris.items():
        os.environ[f"AIRFLOW_CONN_{name.upper()}"] = uri

    def restore() -> None:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    closing.append(restore)


def build(family: Family, closing: list[Any]) -> None:
    for noisy in ("airflow.task.hooks", "airflow.task.operators", "airflow"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    _http_cases(family, closing)
    _postgres_cases(family, closing)
    _check_and_bash_cases(family)


# -- HttpHook / HttpOperator ---------------------------------------------------------------------


def _http_cases(family: Family, closing: list[Any]) -> None:
    http = serve(closing, ScriptedHTTP())
    _connections(
        closing,
        eg_corpus_http=f"http://127.0.0.1:{http.port}",
        eg_corpus_http_slow=f"http://127.0.0.1:{http.port}?timeout=0.1",
        eg_corpus_http_down=f"http://127.0.0.1:{free_port()}",
        eg_corpus_http_nohost="http://no-such-host.errorguard.invalid",
    )

    def get(endpoint: str, conn: str = "eg_corpus_http", **extra: Any) -> Callable[[], Any]:
        return lambda: HttpHook(method="GET", http_conn_id=conn).run(endpoint, extra_options=extra or None)

    def advanced(endpoint: str) -> Callable[[], Any]:
        retry_args = {
            "stop": tenacity.stop_after_attempt(2),
            "wait": tenacity.wait_none(),
            "retry": tenacity.retry_if_exception_type(Exception),
        }
        hook = HttpHook(method="GET", http_conn_id="eg_corpus_http")
        return lambda: hook.run_with_advanced_retry(_retry_args=retry_args, endpoint=endpoint)

    def operator(endpoint: str, **kw: Any) -> Callable[[], Any]:
        task = HttpOperator(task_id="call_api", http_conn_id="eg_corpus_http", endpoint=endpoint, **kw)
        return lambda: task.execute({})

    def returning(reply: Reply, call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            http.next = reply
            return call()

        return run

    for name, run, accept, why in (
        ("http-400", get("/status/400"), {C, D}, "AirflowException '400:Bad Request': the request is wrong"),
        (
            "http-401",
            get("/status/401"),
            C,
            "AirflowException '401:Unauthorized': the connection's credentials",
        ),
        ("http-403", get("/status/403"), C, "AirflowException '403:Forbidden': the credentials lack a right"),
        (
            "http-404",
            get("/status/404"),
            {C, D},
            "AirflowException '404:Not Found': wrong endpoint or record",
        ),
        ("http-422", get("/status/422"), {D, C}, "AirflowException '422': the payload is rejected"),
        ("http-429", get("/status/429"), T, "AirflowException '429:Too Many Requests': wait and retry"),
        ("http-500", get("/status/500"), {T, U}, "AirflowException '500': the server failed"),
        ("http-502", get("/status/502"), T, "AirflowException '502:Bad Gateway': upstream briefly down"),
        ("http-503", get("/status/503"), T, "AirflowException '503:Service Unavailable'"),
        ("http-504", get("/status/504"), T, "AirflowException '504:Gateway Timeout'"),
        (
            "no-conn-id",
            get("/x", conn="eg_corpus_missing_conn"),
            C,
            "AirflowNotFoundException: conn_id not defined",
        ),
        ("refused", get("/x", conn="eg_corpus_http_down"), T, "requests ConnectionError: nothing listens"),
        (
            "unknown-host",
            get("/x", conn="eg_corpus_http_nohost"),
            C,
            "the connection's host does not resolve",
        ),
        ("read-timeout", get("/slow", timeout=0.1), T, "requests ReadTimeout through the hook"),
        ("advanced-retry-503", advanced("/status/503"), T, "tenacity RetryError over '503' from the hook"),
        ("advanced-retry-401", advanced("/status/401"), C, "tenacity RetryError over '401' from the hook"),
        (
            "operator-response-check",
            operator("/x", response_check=lambda response: "ready" in response.text),
            {D, U},
            "HttpOperator: 'Response check returned False.': the answer is not what the task expects",
        ),
        ("operator-404", operator("/status/404"), {C, D}, "HttpOperator over a 404"),
        (
            "operator-json-filter",
            returning(
                Reply(200, b"<html>maintenance</html>"), operator("/x", response_filter=lambda r: r.json())
            ),
            {D, T, U},
            "response_filter's JSONDecodeError: the API answered HTML instead of JSON",
        ),
    ):
        family.add(name, run, accept, why)


# -- PostgresHook / SQLExecuteQueryOperator --------------------------------------------------------


def _postgres_cases(family: Family, closing: list[Any]) -> None:
    dbname, server = pg_database(closing, prefix="errorguard_providers")
    base = f"{server['host']}:{server['port']}/{dbname}"
    user = server.get("user") or "postgres"
    _connections(
        closing,
        eg_corpus_pg=f"postgresql://{user}@{base}",
        eg_corpus_pg_role=f"postgresql://no_such_role_errorguard@{base}",
        eg_corpus_pg_db=f"postgresql://{user}@{server['host']}:{server['port']}/no_such_db_errorguard",
        eg_corpus_pg_down=f"postgresql://{user}@127.0.0.1:{free_port()}/{dbname}",
        eg_corpus_pg_ssl=f"postgresql://{user}@{base}?sslmode=require",
        eg_corpus_pg_cursor=f"postgresql://{user}@{base}?cursor=bogus",
        eg_corpus_pg_timeout=f"postgresql://{user}@{base}?options=-c%20statement_timeout%3D50",
        eg_corpus_notsql=json.dumps({"conn_type": "http", "host": "127.0.0.1"}),
    )
    hook = PostgresHook(postgres_conn_id="eg_corpus_pg")
    hook.run(
        [
            "CREATE TABLE orders (id int PRIMARY KEY, amount numeric NOT NULL CHECK (amount >= 0))",
            "INSERT INTO orders VALUES (1, 10)",
        ]
    )

    def sql(statement: str, conn: str = "eg_corpus_pg") -> Callable[[], Any]:
        return lambda: PostgresHook(postgres_conn_id=conn).run(statement)

    def operator(statement: str, conn: str = "eg_corpus_pg") -> Callable[[], Any]:
        task = SQLExecuteQueryOperator(task_id="load", conn_id=conn, sql=statement)
        return lambda: task.execute({})

    def insert_rows(**kw: Any) -> Callable[[], None]:
        rows = [(2, 5)] if kw else [(2, 5, "extra")]
        return lambda: PostgresHook(postgres_conn_id="eg_corpus_pg").insert_rows("orders", rows, **kw)

    def records(statement: str, parameters: tuple[Any, ...]) -> Callable[[], Any]:
        return lambda: PostgresHook(postgres_conn_id="eg_corpus_pg").get_records(
            statement, parameters=parameters
        )

    for name, run, accept, why in (
        ("pg-no-table", sql("SELECT * FROM missing_orders"), C, "42P01 through PostgresHook.run"),
        ("pg-unique", sql("INSERT INTO orders VALUES (1, 3)"), D, "23505 through the hook"),
        ("pg-check", sql("INSERT INTO orders VALUES (3, -1)"), D, "23514 check violation through the hook"),
        ("pg-insert-rows", insert_rows(), {D, C}, "insert_rows with a row wider than the table"),
        (
            "pg-upsert-no-fields",
            insert_rows(replace=True),
            C,
            "replace=True needs target_fields: a call setting",
        ),
        ("pg-params", records("SELECT %s, %s", (1,)), C, "2 placeholders, 1 parameter: the task's code"),
        ("pg-unknown-role", sql("SELECT 1", "eg_corpus_pg_role"), C, "the connection's login does not exist"),
        (
            "pg-unknown-db",
            sql("SELECT 1", "eg_corpus_pg_db"),
            C,
            "the connection's schema (database) is wrong",
        ),
        ("pg-refused", sql("SELECT 1", "eg_corpus_pg_down"), T, "nothing listens on the connection's port"),
        ("pg-sslmode", sql("SELECT 1", "eg_corpus_pg_ssl"), C, "extra sslmode=require, server without TLS"),
        (
            "pg-bad-cursor",
            sql("SELECT 1", "eg_corpus_pg_cursor"),
            C,
            "extra cursor=bogus: the hook rejects it",
        ),
        (
            "pg-timeout",
            sql("SELECT pg_sleep(2)", "eg_corpus_pg_timeout"),
            T,
            "57014 statement_timeout in extra",
        ),
        (
            "pg-no-conn-id",
            sql("SELECT 1", "eg_corpus_pg_missing"),
            C,
            "AirflowNotFoundException: no such conn_id",
        ),
        (
            "op-syntax",
            operator("SELEC 1"),
            C,
            "SQLExecuteQueryOperator: 42601 syntax error in the task's SQL",
        ),
        ("op-div-zero", operator("SELECT 1 / 0"), D, "SQLExecuteQueryOperator: 22012 on the data"),
        (
            "op-not-sql",
            operator("SELECT 1", "eg_corpus_notsql"),
            C,
            "conn_id of an HTTP connection: not a SQL hook",
        ),
    ):
        family.add(name, run, accept, why)


# -- SQL check operators / BashOperator ------------------------------------------------------------


def _check_and_bash_cases(family: Family) -> None:
    def check(operator: type, **kw: Any) -> Callable[[], Any]:
        return lambda: operator(task_id="check", conn_id="eg_corpus_pg", **kw).execute({})

    def bash(command: str, **kw: Any) -> Callable[[], Any]:
        return lambda: BashOperator(task_id="run", bash_command=command, **kw).execute({})

    for name, run, accept, why in (
        (
            "check-false",
            check(SQLCheckOperator, sql="SELECT count(*) > 5 FROM orders"),
            D,
            "a quality check failed",
        ),
        (
            "check-no-rows",
            check(SQLCheckOperator, sql="SELECT 1 FROM orders WHERE id < 0"),
            D,
            "the check got no rows",
        ),
        (
            "value-check",
            check(SQLValueCheckOperator, sql="SELECT sum(amount) FROM orders", pass_value=99),
            D,
            "value",
        ),
        (
            "threshold-check",
            check(
                SQLThresholdCheckOperator,
                sql="SELECT count(*) FROM orders",
                min_threshold=10,
                max_threshold=20,
            ),
            D,
            "the row count is not within thresholds",
        ),
        (
            "column-check",
            check(SQLColumnCheckOperator, table="orders", column_mapping={"amount": {"min": {"geq_to": 50}}}),
            D,
            "a column check failed: the data",
        ),
        (
            "table-check",
            check(
                SQLTableCheckOperator, table="orders", checks={"rows": {"check_statement": "count(*) > 1000"}}
            ),
            D,
            "a table check failed: the data",
        ),
        ("bash-exit-1", bash("grep -q ready /etc/hostname"), {U, D, T}, "exit code 1: nothing says which"),
        (
            "bash-not-found",
            bash("dbt_errorguard_missing run"),
            C,
            "exit code 127: the command is not installed",
        ),
        (
            "bash-cwd",
            bash("ls", cwd="/nonexistent/errorguard/project"),
            C,
            "cwd does not exist: the task's setting",
        ),
    ):
        family.add(name, run, accept, why)
