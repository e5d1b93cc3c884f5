"""
The Prometheus rules, the Grafana dashboard and the docs' metrics table come from the one metric
list in code: the shipped files equal what it generates, ``promtool check rules`` accepts the
rules (and every dashboard query), and every series they name is a metric errorguard emits.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from airflow_errorguard import metrics, monitoring

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KNOWN = {monitoring.series(m) for m in metrics.METRICS}


def _promtool() -> str:
    path = shutil.which("promtool")
    assert path, (
        "promtool is missing: `make test` installs Debian's prometheus package (apt-get install prometheus)"
    )
    return path


def _check_rules(path: Path) -> str:
    done = subprocess.run(
        [_promtool(), "check", "rules", str(path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_shipped_files_are_the_generated_ones(tmp_path: Path) -> None:
    monitoring.write(tmp_path)
    for relative in (monitoring.RULES_FILE, monitoring.DASHBOARD_FILE):
        assert (DEPLOY / relative).read_text() == (tmp_path / relative).read_text(), (
            f"deploy/{relative} is stale: run `python -m airflow_errorguard.monitoring --out deploy`"
        )


def test_promtool_accepts_the_rules_and_each_names_a_known_metric() -> None:
    out = _check_rules(DEPLOY / monitoring.RULES_FILE)
    assert f"SUCCESS: {len(monitoring.ALERTS)} rules found" in out
    rules = yaml.safe_load((DEPLOY / monitoring.RULES_FILE).read_text())["groups"][0]["rules"]
    for rule in rules:
        named = monitoring.series_in(rule["expr"])
        assert named and named <= KNOWN, (rule["alert"], named - KNOWN)


def test_dashboard_is_well_formed_and_queries_only_known_metrics(tmp_path: Path) -> None:
    board = json.loads((DEPLOY / monitoring.DASHBOARD_FILE).read_text())
    assert {"uid", "title", "schemaVersion", "panels", "templating", "time"} <= set(board)
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    queried: set[str] = set()
    recording = []
    for panel in board["panels"]:
        assert {"type", "title", "gridPos", "targets", "datasource"} <= set(panel), panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            named = monitoring.series_in(target["expr"])
            assert named and named <= KNOWN, (panel["title"], named - KNOWN)
            queried |= named
            recording.append(
                {"record": f"errorguard:panel{panel['id']}:{target['refId']}", "expr": target["expr"]}
            )
    assert queried == KNOWN, "every metric has a panel"
    # promtool parses each query as the expression of a recording rule.
    check = tmp_path / "panels.yml"
    check.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": recording}]}))
    _check_rules(check)


def test_otel_naming_adds_the_counter_suffix() -> None:
    metric = metrics.BY_NAME["error.classified"]
    assert monitoring.series(metric) == "airflow_errorguard_error_classified"
    assert monitoring.series(metric, naming="otel") == "airflow_errorguard_error_classified_total"
    with pytest.raises(ValueError, match="naming"):
        monitoring.series(metric, naming="graphite")


def test_docs_metrics_table_is_the_generated_one() -> None:
    text = (ROOT / "docs" / "alerting.md").read_text()
    assert metrics.markdown_table() in text, "docs/alerting.md: paste metrics.markdown_table()"
