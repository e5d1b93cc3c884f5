"""Declarative rules files (YAML and TOML): loading, and errors naming file, rule and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorAction, ErrorCategory
from airflow_errorguard.classification.rules_file import load_rules_file, rules_from_document
from airflow_errorguard.exceptions import ErrorGuardConfigError
from tests.unit.classification.test_signals_http import requests_error
from tests.unit.helpers import assert_verdict

pytestmark = pytest.mark.unit

YAML_RULES = """
version: 1
rules:
  - name: partner-rate-limit
    category: transient
    http_status: [429, "5xx"]
    reason: "partner {http_status} from {host}"
    backoff: {base_delay: 30, max_delay: 300, jitter: equal}
    max_retries: 5
  - name: late-partition
    category: transient
    action: retry
    exception: "*.KeyError"
    message: "partition_\\\\d+"
    dag_id: "etl_*"
  - category: data
    sqlstate: "22*"
"""

TOML_RULES = """
version = 1

[[rules]]
name = "deadlocks"
category = "transient"
driver_code = ["mysql:1213", "mysql:1205"]
confidence = 0.9

[[rules]]
name = "disk"
category = "system"
errno = ["ENOSPC", 122]
max_retries = 0
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_yaml_rules_load_and_classify(tmp_path: Path) -> None:
    rules = load_rules_file(write(tmp_path, "rules.yaml", YAML_RULES))
    assert [rule.name for rule in rules] == ["partner-rate-limit", "late-partition", "#3"]
    first = rules[0]
    assert isinstance(first.backoff, Backoff)
    assert first.backoff.jitter == "equal"
    assert first.max_retries == 5
    assert str(tmp_path / "rules.yaml") in first.source
    classifier = Classifier(rules=rules)
    result = classifier.classify(requests_error(502))
    assert_verdict(result, ErrorCategory.TRANSIENT, "user:partner-rate-limit")
    assert result.reason == "partner 502 from api.example.com"
    late = classifier.classify(KeyError("partition_20240101"), {"dag_id": "etl_daily", "task_id": "t"})
    assert late.rule == "user:late-partition"
    assert late.action is ErrorAction.RETRY
    assert classifier.classify(KeyError("partition_1"), {"dag_id": "other"}).rule == "builtin:type:KeyError"


def test_toml_rules_load(tmp_path: Path) -> None:
    rules = load_rules_file(write(tmp_path, "rules.toml", TOML_RULES))
    assert [rule.name for rule in rules] == ["deadlocks", "disk"]
    assert rules[0].confidence == 0.9
    full = OSError(28, "No space left on device")
    assert Classifier(rules=rules).classify(full).rule == "user:disk"
    assert Classifier(rules=rules).classify(full).max_retries == 0


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_empty_files_have_no_rules(tmp_path: Path, suffix: str) -> None:
    assert load_rules_file(write(tmp_path, f"empty{suffix}", "")) == []
    assert load_rules_file(write(tmp_path, f"only{suffix}", "rules: []\n")) == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "unknown-key.yaml",
            "rules:\n  - name: r1\n    category: data\n    exceptoin: KeyError\n",
            ("rule 'r1'", "field 'exceptoin'", "unknown field"),
        ),
        (
            "unknown-category.yaml",
            "rules:\n  - name: r2\n    category: flaky\n    exception: KeyError\n",
            ("rule 'r2'", "field 'category'", "unknown category 'flaky'"),
        ),
        (
            "bad-regex.toml",
            '[[rules]]\nname = "r3"\ncategory = "data"\nmessage = "(oops"\n',
            ("rule 'r3'", "field 'message'", "invalid regular expression"),
        ),
        (
            "bad-status.yaml",
            "rules:\n  - name: r4\n    category: data\n    http_status: 9xx\n",
            ("rule 'r4'", "field 'http_status'", "9xx"),
        ),
        (
            "bad-backoff.yaml",
            "rules:\n  - name: r5\n    category: transient\n    exception: KeyError\n"
            "    backoff: {base_delay: -1}\n",
            ("rule 'r5'", "field 'backoff'", ">= 0"),
        ),
        (
            "missing-category.yaml",
            "rules:\n  - name: r6\n    exception: KeyError\n",
            ("rule 'r6'", "field 'category'", "required"),
        ),
        (
            "unnamed.yaml",
            "rules:\n  - category: data\n    exception: KeyError\n  - category: data\n",
            ("rule '#2'", "field 'exception'", "at least one matcher"),
        ),
        ("not-a-list.yaml", "rules:\n  name: r7\n  category: data\n", ("'rules' must be a list",)),
        ("item-not-mapping.yaml", "rules:\n  - just a string\n", ("rule #1", "expected a mapping")),
        ("top-level-list.yaml", "- category: data\n", ("expected a mapping with a 'rules' list",)),
        ("unknown-top.toml", "rulez = []\n", ("unknown top-level key", "rulez")),
        ("broken.yaml", "rules: [\n  - category: data\n", ("not valid YAML",)),
        ("broken.toml", "[[rules]\ncategory = data\n", ("not valid TOML",)),
        ("rules.json", '{"rules": []}', ("expected a .yaml, .yml or .toml file",)),
    ],
)
def test_invalid_files_name_file_rule_and_field(
    tmp_path: Path, name: str, text: str, expected: tuple[str, ...]
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ErrorGuardConfigError) as info:
        load_rules_file(path)
    message = str(info.value)
    assert f"rules file {path}" in message
    for part in expected:
        assert part in message, (part, message)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ErrorGuardConfigError, match=r"rules file .*nope\.yaml: cannot be read"):
        load_rules_file(tmp_path / "nope.yaml")


def test_rules_from_a_parsed_document() -> None:
    assert rules_from_document(None, "inline") == []
    [rule] = rules_from_document({"rules": [{"category": "data", "exception": "KeyError"}]}, "inline")
    assert rule.name == "#1"
    with pytest.raises(ErrorGuardConfigError, match=r"rules file inline, rule 'x', field 'source'"):
        rules_from_document({"rules": [{"name": "x", "category": "data", "source": "me"}]}, "inline")
