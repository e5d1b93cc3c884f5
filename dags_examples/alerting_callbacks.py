"""
Alerting with errorguard: one deduplicated, self-explaining alert per incident, through notifiers.

``ErrorGuardCallback`` goes into ``default_args`` as the failure, retry and success callback.
Documented outcome of one run (``dag.test()``): the run fails; ``fetch_rates`` hits a timeout,
is retried without an alert and succeeds on try 2; ``load_orders`` and ``load_customers`` fail
with the same configuration error, so they form ONE incident: one alert is sent, the second
failure is suppressed as a duplicate. Every failed try is in ``errorguard_error_event``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, get_current_context, task

from airflow_errorguard.alerts import AlertConfig, ErrorGuardCallback
from airflow_errorguard.alerts.notifiers import LogNotifier

# [START errorguard_alerting]
alerts = ErrorGuardCallback(
    notifiers=[LogNotifier()],  # any BaseNotifier (SmtpNotifier, SlackNotifier...) or callable
    config=AlertConfig(group_by=("dag", "fingerprint"), repeat_interval=timedelta(hours=4)),
)

default_args = {
    "retries": 2,
    "retry_delay": timedelta(seconds=1),
    "on_failure_callback": alerts,  # failed for good: alert (once per incident)
    "on_retry_callback": alerts,  # up for retry: alert only if waiting cannot help
    "on_success_callback": alerts,  # resolves the task's open incident
}
# [END errorguard_alerting]


with DAG(
    dag_id="errorguard_alerting",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=default_args,
    tags=["errorguard", "example"],
):

    @task
    def fetch_rates() -> dict[str, float]:
        if get_current_context()["ti"].try_number == 1:
            raise TimeoutError("read timed out after 30 s")  # transient: retried, no alert
        return {"EUR": 1.0}

    @task(retries=0)
    def load_orders(rates: dict[str, float]) -> None:
        raise PermissionError("permission denied for schema warehouse")

    @task(retries=0)
    def load_customers(rates: dict[str, float]) -> None:
        raise PermissionError("permission denied for schema warehouse")

    rates = fetch_rates()
    load_orders(rates)
    load_customers(rates)
