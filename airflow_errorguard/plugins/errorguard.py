"""The errorguard ``AirflowPlugin``; its UI and listeners arrive with later releases."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class ErrorGuardPlugin(AirflowPlugin):
    """Registers errorguard with Airflow (UI views and listeners are added as they ship)."""

    name = "errorguard"
