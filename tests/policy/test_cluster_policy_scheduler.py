"""
Under a REAL scheduler (LocalExecutor, dag-processor, task runners): the cluster policy installed in
``airflow_local_settings.py`` gives DAGs that never import errorguard its retry decisions and its
alerts, keeps a user's own callback, and leaves an ``errorguard:off`` DAG and an opted-out task as
they are.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from airflow_errorguard import compat
from tests.harness import AirflowEnv, RealAirflow

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

LOCAL_SETTINGS = textwrap.dedent(
    """
    from airflow_errorguard.alerts.notifiers import FileNotifier
    from airflow_errorguard.policy import ErrorGuardPolicy

    task_policy = ErrorGuardPolicy(notifiers=[FileNotifier({alerts!r})])
    """
)

PLAIN = textwrap.dedent(
    '''
    """No errorguard code at all."""
    from datetime import datetime, timedelta
    from pathlib import Path

    from airflow.sdk import DAG, get_current_context, task

    OUT = Path({out!r})
    RETRIES = {{"retries": 2, "retry_delay": timedelta(seconds=1)}}


    def my_own_callback(context):
        (OUT / "own-callback.txt").write_text(context["ti"].task_id)


    with DAG("eg_policy_plain", default_args=RETRIES, schedule=None, start_date=datetime(2024, 1, 1)):

        @task(on_failure_callback=my_own_callback)
        def read_config():
            raise KeyError("api_url")

        @task
        def flaky():
            if get_current_context()["ti"].try_number == 1:
                raise ConnectionResetError("connection reset by peer")

        @task(retries=1, params={{"errorguard": "off"}})
        def opted_out():
            raise KeyError("api_url")

        read_config()
        flaky()
        opted_out()


    with DAG("eg_policy_off", tags=["errorguard:off"], schedule=None, start_date=datetime(2024, 1, 1)):

        @task(retries=1, retry_delay=timedelta(seconds=1))
        def untouched():
            raise KeyError("api_url")

        untouched()
    '''
)


def test_the_cluster_policy_under_a_real_scheduler(airflow_db: AirflowEnv, tmp_path: Path) -> None:
    env = airflow_db
    settings_dir = tmp_path / "settings"
    settings_dir.mkdir()
    alerts = tmp_path / "alerts.jsonl"
    (settings_dir / "airflow_local_settings.py").write_text(LOCAL_SETTINGS.format(alerts=str(alerts)))
    env.add_dag_file(PLAIN.format(out=str(tmp_path)), "eg_policy_plain.py")
    path = os.pathsep.join(p for p in (str(settings_dir), env.env.get("PYTHONPATH", "")) if p)
    extra = {
        "PYTHONPATH": path,  # the settings file on the path of every Airflow process (or in config/)
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn,
        "AIRFLOW__ERRORGUARD__BASE_DELAY": "1",
        "AIRFLOW__ERRORGUARD__MAX_DELAY": "2",
    }
    with RealAirflow(env, extra_env=extra) as af:
        plain = af.trigger("eg_policy_plain")
        off = af.trigger("eg_policy_off")
        assert af.wait_for_run("eg_policy_plain", plain, timeout=300) == "failed"
        assert af.wait_for_run("eg_policy_off", off, timeout=300) == "failed"
        tis = {**af.task_instances("eg_policy_plain", plain), **af.task_instances("eg_policy_off", off)}
        flaky_tries = af.task_tries("eg_policy_plain", plain, "flaky")

    tries = {task_id: (ti["state"], ti["try_number"]) for task_id, ti in tis.items()}
    assert tries == {
        # errorguard's retry policy (Airflow 3.3+): a data error fails now, its 2 retries unused.
        "read_config": ("failed", 1 if compat.HAS_NATIVE_RETRY_POLICY else 3),
        "flaky": ("success", 2),
        "opted_out": ("failed", 2),  # params={"errorguard": "off"}: Airflow's own retries
        "untouched": ("failed", 2),  # tag errorguard:off
    }
    if compat.HAS_NATIVE_RETRY_POLICY:
        assert "[errorguard: builtin:type:ConnectionResetError]" in str(flaky_tries[0]["retry_reason"])
    assert (tmp_path / "own-callback.txt").read_text() == "read_config"  # the user's callback ran
    sent = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert [(a["dag_id"], a["task_id"], a["category"]) for a in sent] == [
        ("eg_policy_plain", "read_config", "data")
    ]
