"""Plugin classifiers from the ``airflow_errorguard.classifiers`` entry-point group."""

from __future__ import annotations

import logging
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from airflow_errorguard.classification import plugins as plugins_module
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.defaults import classify
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.rules import Rule
from tests.unit.helpers import assert_verdict

pytestmark = pytest.mark.unit

PLUGIN_SOURCE = """
from airflow_errorguard.classification.model import Classification, ErrorAction, ErrorCategory
from airflow_errorguard.classification.rules import Rule


def teapot(exc):
    if "teapot" not in str(exc):
        return None
    return Classification(
        category=ErrorCategory.DATA,
        action=ErrorAction.QUARANTINE,
        confidence=0.99,
        rule="plugin:teapot",
        reason="the service is a teapot; data",
        fingerprint_source=f"{type(exc).__name__}: {exc}",
    )


class Oracle:
    def classify(self, exc):
        if "oracle" in str(exc):
            return Classification(ErrorCategory.SYSTEM, ErrorAction.ALERT, 0.9, "plugin:oracle", "the oracle")
        return "not a classification"  # ignored


oracle = Oracle()
RULES = [Rule(category="transient", message="flux capacitor", name="flux")]
NOT_CALLABLE = 42


def broken(exc):
    raise RuntimeError("bug in a plugin")
"""


@pytest.fixture
def fake_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> list[str]:
    """
    Real ``EntryPoint`` objects for a module written to *tmp_path*, served to ``plugins.py`` by a
    stand-in for ``importlib.metadata.entry_points``; returns the groups asked for.
    """
    module = f"eg_plugin_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(PLUGIN_SOURCE))
    monkeypatch.syspath_prepend(str(tmp_path))
    group = plugins_module.ENTRY_POINT_GROUP
    points = [
        EntryPoint("broken", f"{module}:broken", group),
        EntryPoint("teapot", f"{module}:teapot", group),
        EntryPoint("oracle", f"{module}:oracle", group),
        EntryPoint("rules", f"{module}:RULES", group),
        EntryPoint("missing", "errorguard_no_such_module:thing", group),
        EntryPoint("constant", f"{module}:NOT_CALLABLE", group),
    ]
    seen_groups: list[str] = []

    def entry_points(*, group: str) -> list[EntryPoint]:
        seen_groups.append(group)
        return points if group == plugins_module.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(plugins_module, "entry_points", entry_points)
    return seen_groups


def test_load_plugins_sorts_rules_and_classifiers_and_skips_broken_ones(
    fake_entry_points: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=plugins_module.__name__):
        rules, classifiers = plugins_module.load_plugins()
    assert fake_entry_points == ["airflow_errorguard.classifiers"]
    assert [rule.name for rule in rules] == ["flux"]
    assert len(classifiers) == 3  # broken, teapot, oracle.classify
    messages = " | ".join(record.getMessage() for record in caplog.records)
    assert "errorguard_no_such_module:thing" in messages and "failed to load" in messages
    assert "NOT_CALLABLE" in messages and "not a callable or a rule list" in messages
    assert plugins_module.load_plugins() is plugins_module.load_plugins()  # loaded once per process


def test_plugin_classifiers_decide_before_builtins(
    fake_entry_points: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    rules, classifiers = plugins_module.load_plugins()
    classifier = Classifier(rules=rules, plugins=classifiers)
    with caplog.at_level(logging.WARNING, logger="airflow_errorguard.classification.classifier"):
        teapot = classifier.classify(ConnectionResetError("I'm a teapot"))
    assert_verdict(teapot, ErrorCategory.DATA, "plugin:teapot", reason_has=("teapot",))
    assert "bug in a plugin" in caplog.text  # the broken plugin was tried first, logged and skipped
    oracle = classifier.classify(ValueError("ask the oracle"))
    assert_verdict(oracle, ErrorCategory.SYSTEM, "plugin:oracle")
    # "not a classification" and None fall through to the built-ins.
    assert_verdict(classifier.classify(KeyError("id")), ErrorCategory.DATA, "builtin:type:KeyError")
    flux = classifier.classify(ValueError("the flux capacitor is cold"))
    assert_verdict(flux, ErrorCategory.TRANSIENT, "user:flux")


def test_user_rules_come_before_plugins(fake_entry_points: list[str]) -> None:
    _, classifiers = plugins_module.load_plugins()
    mine = Rule(category="configuration", message="teapot", name="mine")
    result = Classifier(rules=[mine], plugins=classifiers).classify(RuntimeError("teapot"))
    assert_verdict(result, ErrorCategory.CONFIGURATION, "user:mine")


def test_default_classify_uses_plugins(fake_entry_points: list[str]) -> None:
    result = classify(RuntimeError("teapot says no"))
    assert_verdict(result, ErrorCategory.DATA, "plugin:teapot")
    assert_verdict(classify(TimeoutError()), ErrorCategory.TRANSIENT, "builtin:type:TimeoutError")


def test_plugins_can_be_switched_off(fake_entry_points: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__LOAD_PLUGIN_CLASSIFIERS", "False")
    result = classify(RuntimeError("teapot says no"))
    assert result.category is ErrorCategory.UNKNOWN
    assert result.rule == "none"
