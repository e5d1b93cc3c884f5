"""The installed Airflow (3.1, 3.2 or 3.3) parsing DAG files that use errorguard's retry policy.

Runs on every lane without monkeypatching: on 3.3 the policy is attached to the tasks; below 3.3
the DAG file fails to import with errorguard's message (Airflow itself would drop the policy).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from airflow_errorguard.compat import AIRFLOW_V_3_2_PLUS, AIRFLOW_VERSION, HAS_NATIVE_RETRY_POLICY
from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

DAG_SOURCE = """
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow_errorguard import ErrorGuardRetryPolicy
with DAG('eg_policy_everywhere', schedule=None, start_date=datetime(2026, 1, 1),
         default_args={'retries': 3, 'retry_policy': ErrorGuardRetryPolicy()}):
    EmptyOperator(task_id='noop')
"""

#: DagBag moved to airflow.dag_processing in 3.2.
DAGBAG_MODULE = "airflow.dag_processing.dagbag" if AIRFLOW_V_3_2_PLUS else "airflow.models.dagbag"
PARSE = """
import json, sys
from DAGBAG_MODULE import DagBag
bag = DagBag(dag_folder=sys.argv[1])
dag = bag.dags.get('eg_policy_everywhere')
policy = None if dag is None else type(getattr(dag.get_task('noop'), 'retry_policy', None)).__name__
print(json.dumps({"errors": bag.import_errors, "policy": policy}))
""".replace("DAGBAG_MODULE", DAGBAG_MODULE)


def test_a_dag_using_the_retry_policy_parses_on_33_and_fails_loudly_below(
    airflow_db: AirflowEnv, tmp_path: Path
) -> None:
    dag_file = tmp_path / "eg_policy_everywhere.py"
    dag_file.write_text(DAG_SOURCE)
    done = airflow_db.run([sys.executable, "-c", PARSE, str(dag_file)])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if HAS_NATIVE_RETRY_POLICY:
        assert report == {"errors": {}, "policy": "ErrorGuardRetryPolicy"}
    else:
        assert report["policy"] is None
        (error,) = report["errors"].values()
        assert "ErrorGuardConfigError: ErrorGuardRetryPolicy needs Airflow 3.3+" in error
        assert f"this is Airflow {AIRFLOW_VERSION}" in error
        assert "@task.guarded" in error
