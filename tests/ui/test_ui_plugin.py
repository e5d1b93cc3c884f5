"""The plugin: registered with Airflow, and importing it builds nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.ui.conftest import UiServer

PROBE = """
import json, sys
from airflow_errorguard.plugins.errorguard import ErrorGuardPlugin, errorguard_app
print(json.dumps({
    "built": errorguard_app._app is not None,
    "app_module_loaded": "airflow_errorguard.ui.app" in sys.modules,
    "hook_loaded": "airflow_errorguard.hooks.errorguard" in sys.modules,
    "prefix": ErrorGuardPlugin.fastapi_apps[0]["url_prefix"],
}))
"""


@pytest.mark.airflow
def test_importing_the_plugin_builds_no_app_and_opens_no_storage() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "built": False,
        "app_module_loaded": False,
        "hook_loaded": False,
        "prefix": "/errorguard",
    }


@pytest.mark.airflow
@pytest.mark.slow
def test_airflow_lists_the_views(ui_server: UiServer) -> None:
    response = ui_server.server.client.get("/api/v2/plugins", headers=ui_server.headers("admin"))
    assert response.status_code == 200, response.text
    (plugin,) = [p for p in response.json()["plugins"] if p["name"] == "errorguard"]
    views = {v["url_route"]: v for v in plugin["external_views"]}
    assert views["errorguard"]["href"] == "/errorguard/quarantine"
    assert views["errorguard-task-instance"]["destination"] == "task_instance"
    assert "{TASK_ID}" in views["errorguard-task-instance"]["href"]
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/errorguard"
