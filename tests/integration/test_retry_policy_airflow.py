"""ErrorGuardRetryPolicy on real Airflow 3.3: dag.test() on SQLite and PostgreSQL, and a real scheduler.

The DAG (dags/errorguard_policy_proof.py) has retries=3 on every task:

- ``bad_record`` raises KeyError → data → FAILED on try 1 (no retry wasted);
- ``flaky_network`` raises ConnectionResetError twice → transient → SUCCESS on try 3;
- ``rate_limited`` gets HTTP 429 with ``Retry-After: 7`` → a retry delay >= 7 s stored on the TI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.harness import AirflowEnv, RealAirflow

DAG_FILE = Path(__file__).parent / "dags" / "errorguard_policy_proof.py"
DAG_ID = "errorguard_policy_proof"


def _assert_policy_outcome(tis: dict[str, dict[str, Any]], tries_of: Any) -> None:
    bad = tis["bad_record"]
    assert bad["state"] == "failed"
    assert bad["try_number"] == 1, "a data error must not consume retries"
    assert bad["max_tries"] == 3

    flaky = tis["flaky_network"]
    assert flaky["state"] == "success"
    assert flaky["try_number"] == 3
    flaky_tries = tries_of("flaky_network")
    assert [t["try_number"] for t in flaky_tries] == [1, 2, 3]
    for attempt in flaky_tries[:2]:
        assert "ECONNRESET" in (attempt["retry_reason"] or "")
        # base_delay 0.1 s, full jitter: retry n waits uniform(0, 0.1 * 2**(n-1)) seconds.
        assert attempt["retry_delay_override"] is not None
        assert 0 <= attempt["retry_delay_override"] <= 0.1 * 2 ** (attempt["try_number"] - 1)

    limited = tis["rate_limited"]
    assert limited["state"] == "success"
    assert limited["try_number"] == 2
    first = tries_of("rate_limited")[0]
    assert first["retry_delay_override"] >= 7.0
    assert first["retry_delay_override"] <= 10.0  # max_delay caps even Retry-After
    assert "HTTP 429 from api.example.com is rate limiting" in first["retry_reason"]
    assert "Retry-After 7s honoured" in first["retry_reason"]


@pytest.mark.airflow
@pytest.mark.airflow33
def test_policy_decisions_under_dag_test(airflow_backend: AirflowEnv) -> None:
    result = airflow_backend.dag_test(DAG_FILE, DAG_ID)

    assert result["state"] == "failed"  # bad_record fails the run, by design
    tis = result["task_instances"]
    _assert_policy_outcome(tis, lambda task_id: tis[task_id]["tries"])
    # What dag.test() reported is what the metadata DB holds.
    stored = airflow_backend.task_tries(DAG_ID, result["run_id"], "rate_limited")
    assert stored == tis["rate_limited"]["tries"]


@pytest.mark.airflow
@pytest.mark.airflow33
@pytest.mark.slow
def test_policy_decisions_under_real_scheduler(airflow_db: AirflowEnv) -> None:
    """The policy runs in real worker processes (ORM blocked) and the scheduler honours its delays."""
    airflow_db.add_dag_file(DAG_FILE, DAG_FILE.name)
    with RealAirflow(airflow_db) as af:
        run_id = af.trigger(DAG_ID)
        assert af.wait_for_run(DAG_ID, run_id, timeout=420) == "failed"
        tis = af.task_instances(DAG_ID, run_id)
        _assert_policy_outcome(tis, lambda task_id: af.task_tries(DAG_ID, run_id, task_id))

        log = af.task_log(DAG_ID, run_id, "bad_record", 1)
        assert "KeyError means a record lacks an expected key; data" in log
        assert "failing without retry" in log
        # The scheduler waited the Retry-After before running try 2.
        tries = af.task_tries(DAG_ID, run_id, "rate_limited")
        assert len(tries) == 2
