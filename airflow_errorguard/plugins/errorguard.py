"""The errorguard ``AirflowPlugin``: the UI at ``/errorguard`` (built lazily) and the failure listener."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_errorguard.listeners import failures as failure_listener
from airflow_errorguard.listeners import killed as killed_listener
from airflow_errorguard.ui.lazy import LazyApp

#: Mounted by the api-server at ``/errorguard``; built on its first request (no I/O at import).
errorguard_app = LazyApp()


class ErrorGuardPlugin(AirflowPlugin):
    """Registers errorguard with Airflow: the UI app, its navigation entries and the listener."""

    name = "errorguard"
    #: Records every task failure in errorguard_error_event ([errorguard] listener_enabled), also
    #: the tries that died without reporting (found from the scheduler side).
    listeners = [failure_listener, killed_listener]
    fastapi_apps = [{"app": errorguard_app, "url_prefix": "/errorguard", "name": "errorguard"}]
    external_views = [
        {
            "name": "errorguard",
            "href": "/errorguard/quarantine",
            "destination": "nav",
            "url_route": "errorguard",
            "category": "browse",
        },
        {
            "name": "Quarantined records",
            "href": "/errorguard/quarantine?dag_id={DAG_ID}&run_id={RUN_ID}&task_id={TASK_ID}&view=ti",
            "destination": "task_instance",
            "url_route": "errorguard-task-instance",
        },
    ]
