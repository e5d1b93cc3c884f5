"""
Metrics count what happened: Airflow's own StatsD client (``[metrics] statsd_on``) sends to a real
UDP socket in the test, and each errorguard counter equals the events the DAG produced -- one
``errorguard.error.classified`` per failed try although the retry policy, the callback path and
the listener all see it; ``ErrorGuard.for_context(...)`` emits like the operator path.
"""

from __future__ import annotations

import socket
import textwrap
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from airflow_errorguard import metrics
from tests.harness import AirflowEnv

pytestmark = [pytest.mark.airflow, pytest.mark.airflow33]  # the flaky task uses the retry policy

DAGS = textwrap.dedent(
    '''
    """DAGs of tests/alerts/test_metrics_statsd.py."""
    from datetime import datetime, timedelta

    from airflow.sdk import DAG, get_current_context, task

    from airflow_errorguard import ErrorGuard, ErrorGuardRetryPolicy

    START = datetime(2024, 1, 1)

    with DAG("eg_metrics_flaky", schedule=None, start_date=START, catchup=False):
        @task(retries=2, retry_delay=timedelta(seconds=0), retry_policy=ErrorGuardRetryPolicy())
        def fetch():
            if get_current_context()["ti"].try_number < 3:
                raise ConnectionResetError("connection reset by peer")
            return "ok"

        fetch()

    with DAG("eg_metrics_guard", schedule=None, start_date=START, catchup=False):
        @task
        def load():
            guard = ErrorGuard.for_context(get_current_context())
            for key in ("a", "b", "c", "a"):  # "a" twice: one row, one increment
                guard.quarantine({"key": key}, ValueError(f"bad {key}"), record_key=key)
            calls = []

            def flaky():
                calls.append(1)
                if len(calls) < 3:
                    raise ConnectionResetError("connection reset by peer")
                return len(calls)

            return guard.run_with_retry(flaky)

        load()
    '''
)


@contextmanager
def statsd_listener() -> Iterator[tuple[int, Counter[str]]]:
    """A UDP socket on loopback counting StatsD counters (``name:value|c``) by name."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    counts: Counter[str] = Counter()
    stop = threading.Event()

    def receive() -> None:
        while not stop.is_set():
            try:
                data = sock.recv(65535)
            except TimeoutError:
                continue
            for line in data.decode().splitlines():
                name, _, rest = line.partition(":")
                value, _, kind = rest.partition("|")
                if kind.startswith("c"):
                    counts[name] += int(float(value))

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], counts
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


def _errorguard(counts: Counter[str]) -> dict[str, int]:
    prefix = "airflow.errorguard."
    return {k.removeprefix(prefix): v for k, v in counts.items() if k.startswith(prefix)}


def test_each_counter_equals_the_events(airflow_db: AirflowEnv) -> None:
    env = airflow_db
    dag_file = env.add_dag_file(DAGS, "eg_metrics_dags.py")
    with statsd_listener() as (port, counts):
        extra = {
            "AIRFLOW_CONN_ERRORGUARD_DEFAULT": env.sql_alchemy_conn,
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(port),
            "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        }
        flaky = env.dag_test(dag_file, "eg_metrics_flaky", extra_env=extra)
        assert (flaky["state"], flaky["task_instances"]["fetch"]["try_number"]) == ("success", 3)
        guard = env.dag_test(dag_file, "eg_metrics_guard", extra_env=extra)
        assert guard["state"] == "success"
        expected = {"error.classified": 2, "decision": 2, "quarantine.records": 3, "retry.in_process": 2}
        for _ in range(50):  # UDP: let the last datagrams arrive
            if _errorguard(counts) == expected:
                break
            threading.Event().wait(0.1)
    assert _errorguard(counts) == expected, ("2 failed tries, 2 decisions, 3 rows, 2 retries", counts)
    assert set(_errorguard(counts)) <= {m.name for m in metrics.METRICS}
