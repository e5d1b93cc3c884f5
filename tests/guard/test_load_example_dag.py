"""``dags_examples/load_poison_rows.py`` ends as its docstring says (dag.test(), SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa

from scripts import demo_report
from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

EXAMPLE = Path(__file__).resolve().parents[2] / "dags_examples" / "load_poison_rows.py"


def test_load_poison_rows_example(airflow_backend: AirflowEnv, capsys: pytest.CaptureFixture[str]) -> None:
    extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_backend.sql_alchemy_conn}
    env = dataclasses.replace(airflow_backend, env={**airflow_backend.env, **extra})
    result = env.dag_test(EXAMPLE, "errorguard_load_poison_rows")
    load = result["task_instances"]["load"]
    assert (result["state"], load["state"], load["try_number"]) == ("success", "success", 1)

    bad = {
        n: kind for n in range(2000) for r, kind in ((17, "dup"), (51, "null"), (83, "check")) if n % 100 == r
    }
    ids = [
        r["payment_id"] for r in env.query("SELECT payment_id FROM eg_example_payments ORDER BY payment_id")
    ]
    assert ids == [n for n in range(2000) if n not in bad], "every good row once, no rejected one"
    rows = env.query(
        "SELECT record_key, s.reason FROM errorguard_quarantine q "
        "JOIN errorguard_error_signature s ON s.signature_key = q.signature_key "
        "WHERE dag_id = 'errorguard_load_poison_rows' "
        "AND run_id = :run",
        run=result["run_id"],
    )
    assert sorted(int(r["record_key"]) for r in rows) == sorted(bad)
    postgres = "postgresql" in airflow_backend.sql_alchemy_conn
    names = {
        "dup": "23505, constraint eg_example_payments_pkey"
        if postgres
        else "column eg_example_payments.payment_id",
        "null": "23502, column customer" if postgres else "column eg_example_payments.customer",
        "check": "constraint amount_positive",
    }
    for row in rows:
        assert names[bad[int(row["record_key"])]] in row["reason"], row["reason"]
    if not postgres:  # what `make demo` prints of this run
        database = sa.engine.make_url(airflow_backend.sql_alchemy_conn).database
        assert database is not None
        demo_report.print_report(
            Path(database), Path("/nonexistent"), {demo_report.LOAD_DAG: result["run_id"]}
        )
        report = capsys.readouterr().out
        assert "1940 rows loaded, 60 rejected by the database and isolated by bisection" in report
        assert "60 quarantine rows, one per rejected row" in report
        assert (
            "quarantined: SQLITE_CONSTRAINT_NOTNULL, column eg_example_payments.customer: NOT NULL" in report
        )
