"""
What every Airflow process pays for errorguard: provider info and the plugin import nothing heavy.

Each check runs in a fresh interpreter and reads ``sys.modules`` (what was imported, not how long
it took): no YAML, tenacity, classifier, settings or storage module is loaded by reading the
provider info or by Airflow loading its plugins, and the first classification still uses the
``[errorguard]``-configured classifier (its factory is found lazily).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
#: Modules whose import would mean settings, a classifier, storage or the UI were built.
HEAVY_OURS = (
    "airflow_errorguard.classification",
    "airflow_errorguard.settings",
    "airflow_errorguard.configured",
    "airflow_errorguard.storage",
    "airflow_errorguard.ui.app",
)
PROVIDER_INFO_MODULES = {
    "airflow_errorguard",
    "airflow_errorguard.version",
    "airflow_errorguard.config_options",
    "airflow_errorguard.get_provider_info",
    "airflow_errorguard.compat",  # version flags from package metadata; Airflow names resolved lazily
}


def _probe(code: str, home: Path, **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    environ.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False", **env)
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith(HEAVY_OURS)]


def test_provider_info_imports_nothing_heavy(tmp_path: Path) -> None:
    report = _probe(
        """
        import json, sys
        from airflow_errorguard.get_provider_info import get_provider_info
        options = get_provider_info()["config"]["errorguard"]["options"]
        print(json.dumps({"modules": sorted(sys.modules), "options": len(options)}))
        """,
        tmp_path,
    )
    modules = report["modules"]
    assert isinstance(modules, list)
    ours = {m for m in modules if m.startswith("airflow_errorguard")}
    assert ours == PROVIDER_INFO_MODULES
    for name in ("yaml", "tenacity", "sqlalchemy", "airflow"):
        assert name not in modules, f"reading the provider info imported {name}"
    assert report["options"] > 20  # the config section is really there


def test_airflow_start_and_plugin_load_build_no_settings_or_classifier(tmp_path: Path) -> None:
    """Airflow as it starts (it reads every provider's info), then loading every plugin, ours included."""
    report = _probe(
        """
        import json, sys
        import airflow
        # Airflow 3.2+ reads every provider's info as it starts; 3.1 on first use: read it here.
        from airflow.providers_manager import ProvidersManager
        ProvidersManager().initialize_providers_list()
        after_start = sorted(sys.modules)
        from airflow import plugins_manager
        plugins_manager.ensure_plugins_loaded()
        # Airflow 3.2+ returns them from _get_plugins(); 3.1 keeps them in the module's `plugins`.
        getter = getattr(plugins_manager, "_get_plugins", None)
        plugins = getter()[0] if getter else plugins_manager.plugins
        print(json.dumps({"after_start": after_start, "after_plugins": sorted(sys.modules),
                          "plugins": [p.name for p in plugins]}))
        """,
        tmp_path,
    )
    after_start, after_plugins = report["after_start"], report["after_plugins"]
    assert isinstance(after_start, list) and isinstance(after_plugins, list)
    # The probe sees us: Airflow read our provider info and loaded our plugin with its listeners.
    assert "airflow_errorguard.get_provider_info" in after_start
    assert "errorguard" in report["plugins"]
    assert "airflow_errorguard.listeners.failures" in after_plugins
    assert _heavy(after_start) == []
    assert _heavy(after_plugins) == []


def test_the_plugin_module_adds_only_light_modules_of_ours(tmp_path: Path) -> None:
    """Beyond what Airflow's plugin manager already imported, the plugin import adds only our leaves."""
    report = _probe(
        """
        import json, sys
        import airflow, airflow.listeners, airflow.plugins_manager
        before = set(sys.modules)
        import airflow_errorguard.plugins.errorguard
        print(json.dumps({"added": sorted(set(sys.modules) - before)}))
        """,
        tmp_path,
    )
    added = report["added"]
    assert isinstance(added, list)
    assert "airflow_errorguard.plugins.errorguard" in added
    assert [m for m in added if not m.startswith("airflow_errorguard")] == []
    assert _heavy(added) == []


def test_first_classification_uses_the_configured_classifier(tmp_path: Path) -> None:
    """The default factory is registered lazily, still before the first classification."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - name: timeouts-are-data\n    category: data\n    exception: TimeoutError\n"
    )
    report = _probe(
        """
        import json, sys
        import airflow_errorguard
        before = sorted(sys.modules)
        verdict = airflow_errorguard.classify(TimeoutError("read timed out"))
        print(json.dumps({"before": before, "rule": verdict.rule, "category": verdict.category.value,
                          "configured": "airflow_errorguard.configured" in sys.modules}))
        """,
        tmp_path,
        AIRFLOW__ERRORGUARD__RULES_FILE=str(rules),
    )
    before = report["before"]
    assert isinstance(before, list)
    assert _heavy(before) == []
    assert report["configured"] is True
    assert report["rule"] == "user:timeouts-are-data"
    assert report["category"] == "data"
