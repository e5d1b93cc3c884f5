"""The package is a real Airflow provider: listed, configured and loaded as a plugin by Airflow's CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.harness import AirflowEnv


@pytest.mark.airflow
def test_airflow_lists_the_provider_and_its_config(airflow_db: AirflowEnv) -> None:
    providers = airflow_db.cli("providers", "list", "--output", "json").stdout
    assert '"package_name": "airflow-errorguard"' in providers

    assert airflow_db.cli("config", "get-value", "errorguard", "system_max_retries").stdout.strip() == "1"
    assert airflow_db.cli("config", "get-value", "errorguard", "jitter").stdout.strip() == "full"

    plugins = airflow_db.cli("plugins", "--output", "json").stdout
    assert "airflow_errorguard.plugins.errorguard" in plugins


@pytest.mark.airflow
@pytest.mark.airflow33
def test_invalid_option_fails_dag_parsing(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    source = (
        "from datetime import datetime\n"
        "from airflow.sdk import DAG\n"
        "from airflow.providers.standard.operators.empty import EmptyOperator\n"
        "from airflow_errorguard import ErrorGuardRetryPolicy\n"
        "with DAG('eg_bad_config', schedule=None, start_date=datetime(2026, 1, 1),\n"
        "         default_args={'retry_policy': ErrorGuardRetryPolicy()}):\n"
        "    EmptyOperator(task_id='noop')\n"
    )
    dag_file = tmp_path / "eg_bad_config.py"
    dag_file.write_text(source)
    code = (
        "import json\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"print(json.dumps(DagBag(dag_folder={str(dag_file)!r}).import_errors))\n"
    )
    done = airflow_db.run(
        [sys.executable, "-c", code],
        extra_env={"AIRFLOW__ERRORGUARD__BASE_DELAY": "ten seconds"},
    )
    errors = done.stdout.strip().splitlines()[-1]
    assert "ErrorGuardConfigError" in errors
    assert "[errorguard] base_delay: expected a float, got 'ten seconds'" in errors
