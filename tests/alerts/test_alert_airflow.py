"""
Real Airflow (dag.test() on SQLite and PostgreSQL) with a REAL SMTP server and a REAL webhook receiver.

Five runs failing with the same fingerprint inside the repeat window -> one e-mail and one webhook
call; another fingerprint -> a second; a success -> the resolve notice; a transient retry -> none.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.alerts.receivers import smtp_server, webhook_server
from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow

DAGS = textwrap.dedent(
    '''
    """DAGs of tests/alerts/test_alert_airflow.py (suffix {suffix})."""
    import json
    import os
    import urllib.request
    from datetime import datetime, timedelta
    from pathlib import Path

    from airflow.providers.smtp.notifications.smtp import SmtpNotifier
    from airflow.sdk import DAG, get_current_context, task

    from airflow_errorguard.alerts import ErrorGuardCallback


    def webhook(context):
        body = json.dumps(context["errorguard_alert"], default=str).encode()
        request = urllib.request.Request(
            os.environ["EG_WEBHOOK_URL"], data=body, headers={{"Content-Type": "application/json"}}
        )
        urllib.request.urlopen(request, timeout=10).read()


    alerts = ErrorGuardCallback(
        notifiers=[
            SmtpNotifier(
                from_email="airflow@example.com",
                to="oncall@example.com",
                smtp_conn_id="eg_smtp",
                subject="{{{{ errorguard_alert.title }}}}",
                html_content="<pre>{{{{ errorguard_alert_text }}}}</pre>",
            ),
            webhook,
        ]
    )
    ARGS = {{**alerts.default_args(), "retries": 0}}
    START = datetime(2024, 1, 1)

    with DAG("eg_alert_perm{suffix}", default_args=ARGS, schedule=None, start_date=START, catchup=False):

        @task
        def load():
            if Path(os.environ["EG_FIXED"]).exists():
                return "ok"
            raise PermissionError("permission denied for table orders")

        load()

    with DAG("eg_alert_data{suffix}", default_args=ARGS, schedule=None, start_date=START, catchup=False):

        @task
        def parse():
            raise ValueError("bad row 17")

        parse()

    with DAG("eg_alert_flaky{suffix}", default_args=ARGS, schedule=None, start_date=START, catchup=False):

        @task(retries=2, retry_delay=timedelta(seconds=0))
        def fetch():
            if get_current_context()["ti"].try_number == 1:
                raise TimeoutError("read timed out")
            return "ok"

        fetch()
    '''
)


def test_burst_alerts_once_per_incident_through_smtp_and_webhook(
    airflow_backend: AirflowEnv, tmp_path: Path
) -> None:
    env = airflow_backend
    suffix = "_" + env.backend
    dag_file = env.add_dag_file(DAGS.format(suffix=suffix), f"eg_alert_dags{suffix}.py")
    fixed = tmp_path / "fixed"
    with smtp_server() as (smtp_port, mails), webhook_server() as (hook_url, calls):
        extra = {
            "AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn,
            "AIRFLOW_CONN_EG_SMTP": json.dumps(
                {
                    "conn_type": "smtp",
                    "host": "127.0.0.1",
                    "port": smtp_port,
                    "extra": {"disable_tls": True, "disable_ssl": True, "timeout": 10},
                }
            ),
            "EG_WEBHOOK_URL": hook_url,
            "EG_FIXED": str(fixed),
            "AIRFLOW__API__BASE_URL": "http://airflow.example:8080",
        }

        def run(dag: str) -> dict:
            return env.dag_test(dag_file, f"{dag}{suffix}", extra_env=extra)

        perm_runs = [run("eg_alert_perm") for _ in range(5)]
        assert [r["state"] for r in perm_runs] == ["failed"] * 5
        assert (len(mails), len(calls)) == (1, 1)
        assert run("eg_alert_data")["state"] == "failed"
        assert (len(mails), len(calls)) == (2, 2)
        flaky = run("eg_alert_flaky")
        assert (flaky["state"], flaky["task_instances"]["fetch"]["try_number"]) == ("success", 2)
        assert (len(mails), len(calls)) == (2, 2)  # a transient retry alerts nobody
        fixed.touch()
        assert run("eg_alert_perm")["state"] == "success"
        assert (len(mails), len(calls)) == (3, 3)

    first, second, resolved = calls
    assert (first["kind"], first["category"], first["dag_id"]) == (
        "alert",
        "configuration",
        f"eg_alert_perm{suffix}",
    )
    assert first["run_id"] == perm_runs[0]["run_id"]
    assert first["ti_url"].startswith(f"http://airflow.example:8080/dags/eg_alert_perm{suffix}/runs/")
    assert "permission denied for table orders" in first["text"]
    assert (second["kind"], second["category"]) == ("alert", "data")
    assert (resolved["kind"], resolved["incident_key"]) == ("resolved", first["incident_key"])
    assert [m["Subject"] for m in mails] == [first["title"], second["title"], resolved["title"]]
    assert mails[0]["To"] == "oncall@example.com"
    body = "".join(
        part.get_payload(decode=True).decode()
        for part in mails[0].walk()
        if part.get_content_type() == "text/html"
    )
    assert "permission denied for table orders" in body and "What to do:" in body

    incident = env.query(
        "SELECT occurrences, notify_count, suppressed_count, status FROM errorguard_incident "
        "WHERE incident_key = :key",
        key=first["incident_key"],
    )
    assert incident == [{"occurrences": 5, "notify_count": 1, "suppressed_count": 4, "status": "resolved"}]
    # Callback and listener both saw every failed try: each is recorded once.
    events = env.query(
        "SELECT dag_id, try_number, error_category, outcome FROM errorguard_error_event "
        "WHERE dag_id LIKE :dags ORDER BY id",
        dags=f"eg_alert_%{suffix}",
    )
    assert [(e["dag_id"].rsplit("_", 1)[0], e["error_category"], e["outcome"]) for e in events] == [
        *[("eg_alert_perm", "configuration", "failed")] * 5,
        ("eg_alert_data", "data", "failed"),
        ("eg_alert_flaky", "transient", "success"),
    ]
    print(f"{env.backend}: 7 failing tries -> {len(calls)} webhook calls, {len(mails)} e-mails, 4 suppressed")
