"""
The one place that knows how Airflow 3 minor versions differ (3.1, 3.2, 3.3).

Everything else imports version-dependent Airflow names from here; no scattered
``try: import`` elsewhere.  Importing this module imports only ``airflow`` metadata, never
the task SDK, so it is cheap.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from packaging.version import Version


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
