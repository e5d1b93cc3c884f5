"""
The one place that knows how Airflow 3 minor versions differ (3.1, 3.2, 3.3).

Everything else imports version-dependent Airflow names from here; no scattered
``try: import`` elsewhere. Importing this module reads only package metadata: the Airflow
names below are resolved lazily, on first attribute access (``from airflow_errorguard.compat
import conf`` inside a function), so the provider stays cheap to load.

=============================  ============================  ==============================
name                           Airflow 3.2+ / 3.3+           Airflow 3.1
=============================  ============================  ==============================
``conf``                       ``airflow.sdk.configuration``  ``airflow.configuration``
``Stats``                      ``airflow.sdk.observability``  ``airflow.stats``
``AirflowFailException``,      ``airflow.sdk.exceptions``      ``airflow.exceptions``
``AirflowRescheduleException``,
``AirflowSkipException``, ...
``RetryPolicy``,               ``airflow.sdk`` (3.3+ only)     placeholders (below 3.3)
``RetryDecision``,
``RetryAction``
=============================  ============================  ==============================

Why our own module rather than ``apache-airflow-providers-common-compat`` (what first-party
providers use): we need a dozen names, and the one real difference -- the native ``retry_policy``
(AIP-105, 3.3+) -- is not something a shim can backport: errorguard must refuse it loudly below
3.3 (:func:`require_native_retry_policy`). common-compat's ``sdk`` table grows with each of its
releases (the 1.14 resolved with Airflow 3.1.8 differs from today's 1.23), so depending on it
would tie our lower bound to its release train for names this module resolves in a few lines.
"""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from packaging.version import Version

if TYPE_CHECKING:
    from airflow.sdk import RetryAction, RetryDecision, RetryPolicy
    from airflow.sdk.configuration import conf
    from airflow.sdk.exceptions import (
        AirflowFailException,
        AirflowNotFoundException,
        AirflowRescheduleException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
    )
    from airflow.sdk.observability.stats import Stats


def _airflow_version() -> Version:
    try:
        return Version(Version(version("apache-airflow")).base_version)
    except PackageNotFoundError:  # pragma: no cover - Airflow is a hard dependency
        return Version("0")


#: The installed Airflow's release (pre-release suffixes dropped: 3.3.0rc1 counts as 3.3.0).
AIRFLOW_VERSION: Version = _airflow_version()
AIRFLOW_V_3_2_PLUS: bool = Version("3.2.0") <= AIRFLOW_VERSION
AIRFLOW_V_3_3_PLUS: bool = Version("3.3.0") <= AIRFLOW_VERSION
#: AIP-105: ``retry_policy`` on operators and ``airflow.sdk.RetryPolicy`` (Airflow 3.3+).
HAS_NATIVE_RETRY_POLICY: bool = AIRFLOW_V_3_3_PLUS
#: Airflow 3.1 ignores the provider-info ``db-managers`` key: ``airflow db migrate`` creates our
#: tables only when ``[database] external_db_managers`` names our db manager.
NEEDS_EXTERNAL_DB_MANAGERS_SETTING: bool = not AIRFLOW_V_3_2_PLUS
#: What ``[database] external_db_managers`` must name on Airflow 3.1 (the provider-info key's value).
ERRORGUARD_DB_MANAGER = "airflow_errorguard.storage.db_manager.ErrorGuardDBManager"

#: Whether ``dag.test()`` puts the task's exception into the callback context. Airflow 3.1 and 3.2's
#: in-process runner (``InProcessTestSupervisor.start``) calls ``task_runner.finalize(..., error)``
#: without ``context["exception"] = error`` (their worker, ``task_runner.main``, sets it); 3.3 sets
#: it in both. Below 3.3, :func:`finalizing_task_error` recovers it.
DAG_TEST_CONTEXT_HAS_EXCEPTION: bool = AIRFLOW_V_3_3_PLUS

#: Where Airflow's exception classes live: the task SDK from 3.2, ``airflow.exceptions`` on 3.1.
AIRFLOW_EXCEPTIONS_MODULE: str = "airflow.sdk.exceptions" if AIRFLOW_V_3_2_PLUS else "airflow.exceptions"

#: Airflow's exception classes errorguard raises or catches (module: AIRFLOW_EXCEPTIONS_MODULE).
_EXCEPTION_NAMES: tuple[str, ...] = (
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowRescheduleException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
)

#: ``name -> (module on 3.2+, module on 3.1)``; the attribute has the same name in both.
_LAZY: dict[str, tuple[str, str]] = {
    "conf": ("airflow.sdk.configuration", "airflow.configuration"),
    "Stats": ("airflow.sdk.observability.stats", "airflow.stats"),
    **{name: (AIRFLOW_EXCEPTIONS_MODULE, AIRFLOW_EXCEPTIONS_MODULE) for name in _EXCEPTION_NAMES},
}


class _RetryPolicyBelow33:
    """Stands in for ``airflow.sdk.RetryPolicy`` below Airflow 3.3 so subclasses still import."""

    def __init__(self) -> None:
        require_native_retry_policy(type(self).__name__)


class _RetryDecisionBelow33:
    """Stands in for ``airflow.sdk.RetryDecision`` below Airflow 3.3; never built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        require_native_retry_policy("RetryDecision")


class _RetryActionBelow33:
    """Stands in for ``airflow.sdk.RetryAction`` below Airflow 3.3 (no members)."""


#: Placeholders of the AIP-105 names below 3.3: importable, unusable (building one raises).
_BELOW_33: dict[str, type] = {
    "RetryPolicy": _RetryPolicyBelow33,
    "RetryDecision": _RetryDecisionBelow33,
    "RetryAction": _RetryActionBelow33,
}


def require_native_retry_policy(owner: str) -> None:
    """
    Refuse, at DAG parse time, a native retry policy on an Airflow that would silently drop it.

    :raises ErrorGuardConfigError: the installed Airflow is older than 3.3.
    """
    if HAS_NATIVE_RETRY_POLICY:
        return
    from airflow_errorguard.exceptions import ErrorGuardConfigError

    raise ErrorGuardConfigError(
        f"{owner} needs Airflow 3.3+ (native retry_policy, AIP-105); this is Airflow {AIRFLOW_VERSION}, "
        "which would silently ignore it. Use @task.guarded / GuardedOperator (they fail fast on "
        "configuration and data errors on any Airflow 3) with on_failure_callback/on_retry_callback="
        "ErrorGuardCallback(...), or upgrade Airflow to 3.3. See docs/compatibility.md."
    )


_TASK_RUNNER = "airflow.sdk.execution_time.task_runner"


def finalizing_task_error() -> BaseException | None:
    """
    The exception of the try whose callbacks are running, where the context lacks it.

    Airflow 3.1/3.2's ``dag.test()`` runs callbacks from ``task_runner.finalize(ti, state, context,
    log, error)`` without putting ``error`` into the context (see
    :data:`DAG_TEST_CONTEXT_HAS_EXCEPTION`): this returns that ``error`` argument of the
    ``finalize`` call the caller runs inside -- the exception Airflow hands the listeners'
    ``on_task_instance_failed(error=...)`` right after. ``None`` on Airflow 3.3+ (the context
    has it) and outside ``finalize`` (the DAG processor's callbacks of a killed try).
    """
    if DAG_TEST_CONTEXT_HAS_EXCEPTION:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "finalize" and frame.f_globals.get("__name__") == _TASK_RUNNER:
            error = frame.f_locals.get("error")
            return error if isinstance(error, BaseException) else None
        frame = frame.f_back  # type: ignore[assignment]
    return None


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        new, old = _LAZY[name]
        value = getattr(import_module(new if AIRFLOW_V_3_2_PLUS else old), name)
    elif name in _BELOW_33:
        value = getattr(import_module("airflow.sdk"), name) if HAS_NATIVE_RETRY_POLICY else _BELOW_33[name]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # resolved once
    return value


__all__ = [
    "AIRFLOW_EXCEPTIONS_MODULE",
    "AIRFLOW_VERSION",
    "AIRFLOW_V_3_2_PLUS",
    "AIRFLOW_V_3_3_PLUS",
    "DAG_TEST_CONTEXT_HAS_EXCEPTION",
    "ERRORGUARD_DB_MANAGER",
    "HAS_NATIVE_RETRY_POLICY",
    "NEEDS_EXTERNAL_DB_MANAGERS_SETTING",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowRescheduleException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "RetryAction",
    "RetryDecision",
    "RetryPolicy",
    "Stats",
    "conf",
    "finalizing_task_error",
    "require_native_retry_policy",
]
