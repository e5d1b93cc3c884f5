"""
A common-sql source and the exactly-once SQL sink on real Airflow (``dag.test()``), SQLite and
PostgreSQL: try 1 dies after the sink wrote a batch but before the commit; try 2 resumes in the
database (committed rows are not even fetched again) and every good row lands exactly once.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.harness import AirflowEnv

pytestmark = [pytest.mark.airflow, pytest.mark.airflow33]  # its DAG builds ErrorGuardRetryPolicy

DAG_FILE = Path(__file__).parent / "dags" / "eg_guarded_sql.py"


def test_sql_source_resumes_in_the_database_and_the_sql_sink_is_exactly_once(
    airflow_backend: AirflowEnv, tmp_path: Path
) -> None:
    conn = airflow_backend.sql_alchemy_conn
    env = dataclasses.replace(
        airflow_backend,
        env={
            **airflow_backend.env,
            "AIRFLOW_CONN_ERRORGUARD_DEFAULT": conn,
            "AIRFLOW_CONN_EG_SOURCE": json.dumps(
                {"conn_type": "errorguard", "extra": {"sqlalchemy_url": conn}}
            ),
            "EG_GUARD_OUT": str(tmp_path),
        },
    )
    rows = [{"id": i, "amount": None if i % 50 == 0 else i / 4} for i in range(400)]  # WHERE keeps 300
    engine = sa.create_engine(conn)
    try:
        with engine.begin() as db:
            db.execute(sa.text("DROP TABLE IF EXISTS eg_src_orders"))
            db.execute(sa.text("DROP TABLE IF EXISTS eg_orders_clean"))
            db.execute(sa.text("CREATE TABLE eg_src_orders (id INTEGER PRIMARY KEY, amount FLOAT)"))
            # No key on the sink table: a duplicate delivery would show up as a second row.
            db.execute(sa.text("CREATE TABLE eg_orders_clean (id INTEGER NOT NULL, amount_cents INTEGER)"))
            db.execute(sa.text("INSERT INTO eg_src_orders (id, amount) VALUES (:id, :amount)"), rows)
    finally:
        engine.dispose()

    result = env.dag_test(DAG_FILE, "eg_guarded_sql")
    ti = result["task_instances"]["load"]
    assert (result["state"], ti["state"], ti["try_number"]) == ("success", "success", 2)

    rows = env.query("SELECT id, COUNT(*) AS n FROM eg_orders_clean GROUP BY id ORDER BY id")
    assert [r["id"] for r in rows] == [i for i in range(300) if i % 50 != 0]
    assert {r["n"] for r in rows} == {1}, "the batch written by the crashed try was rolled back with it"
    cents = env.query("SELECT amount_cents FROM eg_orders_clean WHERE id = 7")
    assert cents == [{"amount_cents": 175}]

    calls = Counter(int(line) for line in (tmp_path / "calls.txt").read_text().split())
    assert {calls[i] for i in range(150)} == {1}, "committed rows are not fetched again on try 2"
    assert {calls[i] for i in range(150, 200)} == {2}, "the uncommitted batch is processed again"
    assert {calls[i] for i in range(200, 300)} == {1}
    assert 300 not in calls

    quarantined = env.query(
        "SELECT record_key, COUNT(*) AS n FROM errorguard_quarantine WHERE dag_id = 'eg_guarded_sql' "
        "GROUP BY record_key"
    )
    assert sorted(int(r["record_key"]) for r in quarantined) == [0, 50, 100, 150, 200, 250]
    assert {r["n"] for r in quarantined} == {1}
    checkpoint = env.query(
        "SELECT position FROM errorguard_checkpoint WHERE dag_id = 'eg_guarded_sql' AND task_id = 'load'"
    )
    assert checkpoint == [{"position": "300"}]
