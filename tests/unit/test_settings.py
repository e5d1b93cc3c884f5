"""The ``[errorguard]`` section, read through the task SDK's config parser (set here by env vars)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from airflow_errorguard.classification.defaults import classify
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.compat import RetryAction
from airflow_errorguard.configured import build_classifier
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.get_provider_info import get_provider_info
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy
from airflow_errorguard.settings import ErrorGuardSettings, load_settings

pytestmark = pytest.mark.unit

ENV = "AIRFLOW__ERRORGUARD__"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(ENV):
            monkeypatch.delenv(name)


def test_provider_defaults_match_the_settings_defaults() -> None:
    options = get_provider_info()["config"]["errorguard"]["options"]
    defaults = ErrorGuardSettings()
    assert float(options["base_delay"]["default"]) == defaults.base_delay
    assert float(options["max_delay"]["default"]) == defaults.max_delay
    assert options["jitter"]["default"] == defaults.jitter
    assert int(options["system_max_retries"]["default"]) == defaults.system_max_retries
    assert options["rules_file"]["default"] == defaults.rules_file
    assert load_settings() == defaults


def test_env_vars_are_read_live(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV}BASE_DELAY", "3")
    monkeypatch.setenv(f"{ENV}MAX_DELAY", "20.5")
    monkeypatch.setenv(f"{ENV}JITTER", " None ")
    monkeypatch.setenv(f"{ENV}SYSTEM_MAX_RETRIES", "0")
    monkeypatch.setenv(f"{ENV}LOAD_PLUGIN_CLASSIFIERS", "off")
    assert load_settings() == ErrorGuardSettings(
        base_delay=3.0, max_delay=20.5, jitter="none", system_max_retries=0, load_plugin_classifiers=False
    )
    monkeypatch.setenv(f"{ENV}BASE_DELAY", "5")
    assert load_settings().base_delay == 5.0


@pytest.mark.airflow33
def test_the_retry_policy_reads_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV}BASE_DELAY", "3")
    monkeypatch.setenv(f"{ENV}MAX_DELAY", "20.5")
    monkeypatch.setenv(f"{ENV}JITTER", " None ")
    monkeypatch.setenv(f"{ENV}SYSTEM_MAX_RETRIES", "0")
    policy = ErrorGuardRetryPolicy()
    assert [policy.evaluate(ConnectionResetError(), n, 9).retry_delay for n in (1, 2, 4)] == [
        timedelta(seconds=3),
        timedelta(seconds=6),
        timedelta(seconds=20.5),
    ]
    assert policy.evaluate(MemoryError(), 1, 9).action is RetryAction.FAIL  # system_max_retries = 0


@pytest.mark.parametrize(
    ("option", "value", "text"),
    [
        ("BASE_DELAY", "abc", "[errorguard] base_delay: expected a float, got 'abc'"),
        ("MAX_DELAY", "ten", "[errorguard] max_delay: expected a float, got 'ten'"),
        ("SYSTEM_MAX_RETRIES", "1.5", "[errorguard] system_max_retries: expected a int, got '1.5'"),
        ("SYSTEM_MAX_RETRIES", "-1", "[errorguard] system_max_retries must be >= 0"),
        (
            "LOAD_PLUGIN_CLASSIFIERS",
            "maybe",
            "[errorguard] load_plugin_classifiers: expected a bool, got 'maybe'",
        ),
        (
            "JITTER",
            "wobbly",
            "[errorguard] jitter: expected one of full, equal, decorrelated, none, got 'wobbly'",
        ),
        ("MAX_DELAY", "1", "[errorguard] max_delay (1.0) must be >= base_delay (10.0)"),
        ("BASE_DELAY", "-2", "[errorguard] max_delay (600.0) must be >= base_delay (-2.0) >= 0"),
    ],
)
def test_malformed_options_name_the_option(
    monkeypatch: pytest.MonkeyPatch, option: str, value: str, text: str
) -> None:
    monkeypatch.setenv(f"{ENV}{option}", value)
    with pytest.raises(ErrorGuardConfigError) as info:
        load_settings()  # what ErrorGuardRetryPolicy() and GuardedOperator(...) read at parse time
    assert text in str(info.value)


def test_hash_fields_without_a_hash_key_are_refused_at_parse_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV}HASH_FIELDS", "email, phone")
    with pytest.raises(ErrorGuardConfigError, match=r"hash_fields \(email, phone\) needs hash_key"):
        load_settings()  # what a DAG file's errorguard objects read while it is parsed
    monkeypatch.setenv(f"{ENV}HASH_KEY", "s3cret")
    load_settings()


def test_blank_numeric_options_fall_back_to_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV}BASE_DELAY", "  ")
    assert load_settings().base_delay == ErrorGuardSettings().base_delay


@pytest.mark.airflow33
def test_configured_rules_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nname = "timeouts-are-data"\ncategory = "data"\nexception = "TimeoutError"\n')
    monkeypatch.setenv(f"{ENV}RULES_FILE", str(path))
    policy = ErrorGuardRetryPolicy()
    assert policy.serialize()["rules"] == ["timeouts-are-data"]
    assert policy.evaluate(TimeoutError(), 1, 3).action is RetryAction.FAIL
    assert classify(TimeoutError()).rule == "user:timeouts-are-data"  # the process default honours it too
    # An edited file is picked up (the cache is keyed by modification time).
    path.write_text('[[rules]]\nname = "renamed"\ncategory = "system"\nexception = "TimeoutError"\n')
    import os

    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    assert [r.name for r in build_classifier().rules] == ["renamed"]
    assert classify(TimeoutError()).rule == "user:renamed"  # and by the public classify()


def test_missing_configured_rules_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog) -> None:
    monkeypatch.setenv(f"{ENV}RULES_FILE", str(tmp_path / "gone.yaml"))
    with pytest.raises(ErrorGuardConfigError, match=r"rules file .*gone\.yaml: cannot be read"):
        build_classifier()  # what ErrorGuardRetryPolicy() and GuardedOperator(...) build at parse time
    # classify() never raises: it falls back to the built-ins and logs why.
    with caplog.at_level(logging.WARNING, logger="airflow_errorguard.classification.defaults"):
        result = classify(TimeoutError())
    assert result.category is ErrorCategory.TRANSIENT
    assert result.rule == "builtin:type:TimeoutError"
    assert "default classifier unavailable" in caplog.text and "gone.yaml" in caplog.text


@pytest.mark.airflow33
def test_a_classifier_built_by_hand_holds_only_its_own_rules(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """docs/classification.md: `Classifier(rules=...)` drops the rules file; build_classifier keeps it."""
    from airflow_errorguard import Classifier, Rule

    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nname = "timeouts-are-data"\ncategory = "data"\nexception = "TimeoutError"\n')
    monkeypatch.setenv(f"{ENV}RULES_FILE", str(path))
    mine = Rule(name="refused-is-system", exception=["ConnectionRefusedError"], category="system")
    by_hand = Classifier(rules=[mine])
    assert [r.name for r in by_hand.rules] == ["refused-is-system"]
    assert by_hand.classify(TimeoutError()).category.value == "transient"  # the built-ins, not the file
    built = build_classifier(rules=(mine,))
    assert [r.name for r in built.rules] == ["refused-is-system", "timeouts-are-data"]
    assert built.classify(TimeoutError()).category.value == "data"
    assert built.classify(ConnectionRefusedError()).category.value == "system"
