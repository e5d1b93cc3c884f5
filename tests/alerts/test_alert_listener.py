"""
Under a REAL scheduler (LocalExecutor, ORM blocked in workers): the plugin's listener records the
failures of a DAG with no errorguard code, marks a retry that fixed it, and a task that also uses
``ErrorGuardCallback`` is recorded once (and alerted, through the connection, from the worker).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.harness import AirflowEnv, RealAirflow

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

PLAIN = textwrap.dedent(
    '''
    """A DAG with no errorguard code at all."""
    from datetime import datetime, timedelta

    from airflow.sdk import DAG, get_current_context, task


    @task(retries=1, retry_delay=timedelta(seconds=1))
    def always_fails():
        raise ConnectionResetError("connection reset by peer")


    @task(retries=1, retry_delay=timedelta(seconds=1))
    def recovers():
        if get_current_context()["ti"].try_number == 1:
            raise TimeoutError("read timed out")


    with DAG("eg_listener_plain", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
        always_fails()
        recovers()
    '''
)

WITH_CALLBACK = textwrap.dedent(
    '''
    """A DAG whose task also uses ErrorGuardCallback."""
    from datetime import datetime
    from pathlib import Path

    from airflow.sdk import DAG, task

    from airflow_errorguard.alerts import ErrorGuardCallback

    OUT = Path({out!r})


    def to_file(context):
        (OUT / "alert.txt").write_text(context["errorguard_alert_text"])


    alerts = ErrorGuardCallback(notifiers=[to_file])

    with DAG(
        "eg_listener_callback",
        default_args={{**alerts.default_args(), "retries": 0}},
        schedule=None,
        start_date=datetime(2024, 1, 1),
        catchup=False,
    ):

        @task
        def read_credentials():
            raise PermissionError("permission denied for relation secrets")

        read_credentials()
    '''
)


def test_listener_records_every_failure_once_under_a_real_scheduler(
    airflow_backend: AirflowEnv, tmp_path: Path
) -> None:
    env = airflow_backend
    env.add_dag_file(PLAIN, "eg_listener_plain.py")
    env.add_dag_file(WITH_CALLBACK.format(out=str(tmp_path)), "eg_listener_callback.py")
    with RealAirflow(env, extra_env={"AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn}) as af:
        plain = af.trigger("eg_listener_plain")
        with_cb = af.trigger("eg_listener_callback")
        assert af.wait_for_run("eg_listener_plain", plain, timeout=300) == "failed"
        assert af.wait_for_run("eg_listener_callback", with_cb, timeout=300) == "failed"
        tis = af.task_instances("eg_listener_plain", plain)
        assert (tis["always_fails"]["state"], tis["always_fails"]["try_number"]) == ("failed", 2)
        assert (tis["recovers"]["state"], tis["recovers"]["try_number"]) == ("success", 2)

    rows = env.query(
        "SELECT task_id, try_number, error_category, decision, outcome FROM errorguard_error_event "
        "WHERE run_id IN (:a, :b) ORDER BY task_id, try_number",
        a=plain,
        b=with_cb,
    )
    assert [tuple(r.values()) for r in rows] == [
        ("always_fails", 1, "transient", "retry", "failed"),
        ("always_fails", 2, "transient", "fail", "failed"),
        ("read_credentials", 1, "configuration", "fail", "failed"),  # callback + listener: once
        ("recovers", 1, "transient", "retry", "success"),
    ]
    alert = (tmp_path / "alert.txt").read_text()
    assert "permission denied for relation secrets" in alert
    assert f"/dags/eg_listener_callback/runs/{quote(with_cb, safe='')}/tasks/read_credentials" in alert
