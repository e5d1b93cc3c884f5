"""
Airflow's own failures as a task meets them: a connection or variable that is not defined, a
configuration option that is missing or malformed, an execution timeout, a param that fails its
schema, a Dag defined wrongly, and the exceptions task code raises to steer Airflow.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from tests.corpus.model import C, D, Family, T


def build(family: Family, closing: list[Any]) -> None:
    """Airflow logs a missing option as it raises it: kept out of the output."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        _build(family)
    finally:
        logging.disable(previous)


def _build(family: Family) -> None:
    from airflow.configuration import conf
    from airflow.sdk import DAG, BaseHook, Variable
    from airflow.sdk.definitions.param import Param
    from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout
    from airflow.sdk.execution_time.timeout import timeout

    family.add(
        "connection-missing",
        lambda: BaseHook.get_connection("warehouse_c13"),
        C,
        "the conn_id is not defined",
    )
    family.add("variable-missing", lambda: Variable.get("partner_api_key_c13"), C, "VARIABLE_NOT_FOUND")
    family.add("config-missing", lambda: conf.get("partner_c13", "endpoint"), C, "no such config option")
    family.add(
        "config-not-int", lambda: conf.getint("core", "dags_folder"), C, "an option that does not convert"
    )

    def sleeps() -> None:
        with timeout(1):
            time.sleep(3)

    family.add("execution-timeout", sleeps, T, "AirflowTaskTimeout: the task ran past execution_timeout")
    family.add(
        "param-invalid",
        lambda: Param(5, type="string").resolve(),
        C,
        "ParamValidationError: the run was triggered with a bad param",
    )

    def duplicate() -> None:
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("corpus13_dup"):
            EmptyOperator(task_id="load")
            EmptyOperator(task_id="load")

    family.add("duplicate-task", duplicate, C, "DuplicateTaskIdFound: the Dag is defined wrongly")

    def fails() -> None:
        raise AirflowFailException("input file has 0 rows; refusing to publish")

    family.add("fail-exception", fails, {C, D}, "task code asks to fail without retrying")

    def sensor_times_out() -> None:
        raise AirflowSensorTimeout("Sensor has timed out; run duration of 3600 seconds exceeded")

    family.add(
        "sensor-timeout", sensor_times_out, T, "AirflowSensorTimeout: what it waited for did not come yet"
    )
