"""Every ``[errorguard]`` option: declared once, generated into the provider info, read, validated."""

from __future__ import annotations

import os

import pytest

from airflow_errorguard.config_options import OPTIONS, provider_config
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.get_provider_info import get_provider_info
from airflow_errorguard.settings import (
    ErrorGuardSettings,
    _typed_default,
    load_settings,
    read_settings,
    reload_settings,
)

pytestmark = pytest.mark.unit

ENV = "AIRFLOW__ERRORGUARD__"
#: The typed value each option's documented example must be read as.
EXAMPLES = {
    "rules_file": "/opt/airflow/config/errorguard-rules.yaml",
    "load_plugin_classifiers": False,
    "base_delay": 30.0,
    "max_delay": 1800.0,
    "jitter": "equal",
    "system_max_retries": 0,
    "max_payload_bytes": 262144,
    "redact_fields": ("password", "ssn", "card_number"),
    "hash_fields": ("email", "customer_id"),
    "hash_key": "a-long-random-secret",
    "listener_enabled": False,
    "alert_group_by": ("fingerprint",),
    "alert_repeat_interval": 14400.0,
    "alert_group_wait": 30.0,
    "alert_resolve_notice": False,
    "learning_enabled": False,
    "learning_min_samples": 20,
    "learning_window_hours": 24.0,
    "circuit_storage_failure": "reject",
    "circuit_failure_rate": 0.25,
    "circuit_window": 300.0,
    "circuit_window_type": "time",
    "circuit_minimum_calls": 20,
    "circuit_consecutive_failures": 5,
    "circuit_open_duration": 120.0,
    "circuit_open_duration_growth": 2.0,
    "circuit_max_open_duration": 3600.0,
    "circuit_half_open_probes": 3,
    "cluster_policy": "opt_in",
}
#: A value each option rejects, and what the error says.
INVALID = {
    "rules_file": None,  # any text is a path: checked when the classifier is built
    "load_plugin_classifiers": ("maybe", "expected a bool"),
    "base_delay": ("soon", "expected a float"),
    "max_delay": ("-1", "max_delay (-1.0) must be >= base_delay"),
    "jitter": ("wobbly", "jitter: expected one of"),
    "system_max_retries": ("-1", "system_max_retries must be >= 0"),
    "max_payload_bytes": ("10", "max_payload_bytes must be between"),
    "redact_fields": None,  # any list of names; overlap with hash_fields is tested below
    "hash_fields": None,
    "hash_key": None,
    "listener_enabled": ("perhaps", "expected a bool"),
    "alert_group_by": ("team", "alert_group_by: expected a comma-separated subset"),
    "alert_repeat_interval": ("-5", "alert_repeat_interval must be >= 0"),
    "alert_group_wait": ("3600", "alert_group_wait must be between 0 and 300"),
    "alert_resolve_notice": ("sometimes", "expected a bool"),
    "learning_enabled": ("2", "expected a bool"),
    "learning_min_samples": ("0", "learning_min_samples must be 1..10000"),
    "learning_window_hours": ("0", "learning_window_hours > 0"),
    "circuit_storage_failure": ("half", "circuit_storage_failure: expected one of allow, reject"),
    "circuit_failure_rate": ("1.5", "failure_rate"),
    "circuit_window": ("0", "window"),
    "circuit_window_type": ("sliding", "window_type"),
    "circuit_minimum_calls": ("0", "minimum_calls"),
    "circuit_consecutive_failures": ("-1", "consecutive_failures"),
    "circuit_open_duration": ("0", "open_duration"),
    "circuit_open_duration_growth": ("0.5", "open_duration_growth"),
    "circuit_max_open_duration": ("1", "max_open_duration"),
    "circuit_half_open_probes": ("0", "half_open_probes"),
    "cluster_policy": ("sometimes", "cluster_policy: expected one of all, opt_in, off"),
}


#: Options that are only valid together with another one.
NEEDS = {"hash_fields": ("hash_key",)}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(ENV):
            monkeypatch.delenv(name)


def test_the_provider_config_section_is_generated_from_the_table() -> None:
    assert get_provider_info()["config"] == provider_config()
    assert list(get_provider_info()["config"]["errorguard"]["options"]) == [o.name for o in OPTIONS]


def test_the_table_and_the_settings_fields_agree_defaults_included() -> None:
    fields = list(ErrorGuardSettings.__dataclass_fields__)
    assert sorted(o.name for o in OPTIONS) == sorted(fields) == sorted(EXAMPLES) == sorted(INVALID)
    defaults = ErrorGuardSettings()
    for option in OPTIONS:
        assert _typed_default(option) == getattr(defaults, option.name), option.name
    assert read_settings() == defaults


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def test_each_option_is_read_from_its_example(option: object, monkeypatch: pytest.MonkeyPatch) -> None:
    name = option.name  # type: ignore[attr-defined]
    assert EXAMPLES[name] != getattr(ErrorGuardSettings(), name), "the example must differ from the default"
    monkeypatch.setenv(ENV + name.upper(), option.example)  # type: ignore[attr-defined]
    for needed in NEEDS.get(name, ()):
        monkeypatch.setenv(ENV + needed.upper(), next(o for o in OPTIONS if o.name == needed).example)
    assert getattr(load_settings(), name) == EXAMPLES[name]


FREE_TEXT = {"rules_file", "redact_fields", "hash_fields", "hash_key"}


def test_only_free_text_options_accept_every_value() -> None:
    """Paths, field lists and the key take any text (checked where they are used)."""
    assert {name for name, invalid in INVALID.items() if invalid is None} == FREE_TEXT


@pytest.mark.parametrize("name", [o.name for o in OPTIONS if o.name not in FREE_TEXT])
def test_each_option_rejects_a_bad_value_naming_it(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    invalid = INVALID[name]
    assert invalid is not None
    value, message = invalid
    monkeypatch.setenv(ENV + name.upper(), value)
    with pytest.raises(ErrorGuardConfigError, match=r"errorguard|circuit") as raised:
        read_settings()
    assert message in str(raised.value)


def test_settings_are_cached_per_process_until_reloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_settings()
    assert load_settings() is first
    os.environ[ENV + "BASE_DELAY"] = "2"  # a change the process is not told about
    try:
        assert load_settings() is first
        assert reload_settings().base_delay == 2.0
        assert load_settings().base_delay == 2.0
    finally:
        del os.environ[ENV + "BASE_DELAY"]
        reload_settings()


def test_the_same_field_cannot_be_redacted_and_hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV + "REDACT_FIELDS", "email")
    monkeypatch.setenv(ENV + "HASH_FIELDS", "Email")
    monkeypatch.setenv(ENV + "HASH_KEY", "a-long-random-secret")
    with pytest.raises(ErrorGuardConfigError, match="both redact_fields and hash_fields: email"):
        read_settings()
