"""
:func:`retry_policy_args`: a DAG that attaches ``ErrorGuardRetryPolicy`` on Airflow 3.3+ and still
parses on Airflow 3.1/3.2, saying what it runs without.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

log = logging.getLogger(__name__)
_warned: list[bool] = []


def retry_policy_args(**policy_options: Any) -> dict[str, Any]:
    """
    The ``retry_policy`` entry for ``default_args`` (or an operator's arguments), where Airflow has one.

    On Airflow 3.3+ it is ``{"retry_policy": ErrorGuardRetryPolicy(**policy_options)}``, the same
    as writing it out. Below 3.3 Airflow has no native ``retry_policy`` (AIP-105): it is ``{}`` and
    a WARNING in the log says so once per process (where the DAG file is parsed). Tasks then retry as
    Airflow's ``retries``/``retry_delay`` say, except ``@task.guarded``/``GuardedOperator``, which
    still fail without retry on configuration and data errors on their own. Use it for DAGs that
    must parse on every Airflow 3; ``ErrorGuardRetryPolicy(...)`` itself refuses Airflow < 3.3.

    :param policy_options: ``ErrorGuardRetryPolicy``'s keyword arguments; their names are checked
        on every Airflow version.
    :raises TypeError: an option ``ErrorGuardRetryPolicy`` does not take.
    :raises ErrorGuardConfigError: an invalid option value (Airflow 3.3+, where the policy is built).
    """
    from airflow_errorguard.compat import AIRFLOW_VERSION, HAS_NATIVE_RETRY_POLICY
    from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

    if HAS_NATIVE_RETRY_POLICY:
        return {"retry_policy": ErrorGuardRetryPolicy(**policy_options)}
    inspect.signature(ErrorGuardRetryPolicy).bind(**policy_options)  # a misspelled option fails here too
    if not _warned:
        _warned.append(True)
        log.warning(
            "errorguard: Airflow %s has no native retry_policy (needs 3.3+): retry_policy_args() attached "
            "none, so tasks retry as their retries/retry_delay say; @task.guarded and GuardedOperator "
            "still fail fast on configuration and data errors. See docs/compatibility.md.",
            AIRFLOW_VERSION,
        )
    return {}
