"""
One classifier per task: a rule scoped to this DAG makes a connection reset a data error, and the
engine, the retry policy, ``ErrorGuardCallback`` and the failure listener all decide with it.

``EG_GUARD_OUT`` is where alerts are written; the rules file (``[errorguard] rules_file``) holds
the same rule for the tasks that name no classifier (see tests/guard/test_one_classifier.py).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, task

from airflow_errorguard import Classifier, ErrorGuardCallback, ErrorGuardRetryPolicy, GuardedOperator, Rule

OUT = Path(os.environ.get("EG_GUARD_OUT", "/tmp"))
RESETS_ARE_DATA = Rule(
    name="resets-are-data-here",
    category="data",
    exception=ConnectionResetError,
    dag_id="eg_one_classifier",
)


def to_file(context):
    ti = context["ti"]
    (OUT / f"alert-{ti.task_id}.txt").write_text(context["errorguard_alert_text"])


alerts = ErrorGuardCallback(notifiers=[to_file])


def reset_midway(context, position):
    yield from range(position, 4)
    raise ConnectionResetError("connection reset by peer while reading the source")


def process(record):
    if record == 1:
        raise ConnectionResetError("connection reset by peer on record 1")
    return record


with DAG("eg_one_classifier", schedule=None, start_date=datetime(2024, 1, 1), catchup=False):
    # Engine: the reset record is quarantined (not retried); policy: the source's reset fails the
    # task on its first try; callback: alerts and records it once; listener: records nothing more.
    GuardedOperator(
        task_id="guarded",
        records=reset_midway,
        process=process,
        batch_size=2,
        classifier=Classifier(rules=[RESETS_ARE_DATA]),
        retries=2,
        retry_delay=timedelta(seconds=1),
        **alerts.default_args(),
    )

    @task(retries=2, retry_delay=timedelta(seconds=1), retry_policy=ErrorGuardRetryPolicy())
    def policy_only():
        """Default classifier (the rules file): the listener records what the policy decided."""
        raise ConnectionResetError("connection reset by peer")

    @task(retries=0)
    def listener_only():
        """No errorguard code: the listener classifies in the task's scope."""
        raise ConnectionResetError("connection reset by peer")

    policy_only()
    listener_only()
