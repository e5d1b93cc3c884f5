"""User :class:`Rule` objects: validation, matching, scoping and reasons."""

from __future__ import annotations

import errno
import re
from types import SimpleNamespace
from typing import Any

import psycopg2.errors
import pytest
import requests

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorAction, ErrorCategory
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.exceptions import ErrorGuardConfigError
from tests.unit.classification.test_signals_http import requests_error
from tests.unit.helpers import assert_verdict

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("kwargs", "field", "problem"),
    [
        ({"category": "flaky", "exception": ValueError}, "category", "unknown category 'flaky'"),
        ({"category": "data", "action": "explode", "exception": ValueError}, "action", "unknown action"),
        ({"category": "data", "message": "(unclosed"}, "message", "invalid regular expression"),
        ({"category": "data", "http_status": 600}, "http_status", "600"),
        ({"category": "data", "http_status": "6xx"}, "http_status", "6xx"),
        ({"category": "data", "http_status": "504-500"}, "http_status", "bad range"),
        ({"category": "data", "http_status": True}, "http_status", "True"),
        ({"category": "data", "sqlstate": "4201"}, "sqlstate", "4201"),
        ({"category": "data", "sqlstate": "42P01X"}, "sqlstate", "42P01X"),
        ({"category": "data", "errno": "ENOTAREALERRNO"}, "errno", "ENOTAREALERRNO"),
        ({"category": "data", "errno": True}, "errno", "True"),
        ({"category": "data", "exception": 42}, "exception", "42"),
        ({"category": "data", "exception": ValueError, "confidence": 1.5}, "confidence", "1.5"),
        ({"category": "data", "exception": ValueError, "confidence": -0.1}, "confidence", "-0.1"),
        ({"category": "data", "exception": ValueError, "confidence": "high"}, "confidence", "'high'"),
        ({"category": "data", "exception": ValueError, "confidence": True}, "confidence", "True"),
        ({"category": "data"}, "exception", "at least one matcher"),
        ({"category": "data", "exception": ValueError, "max_retries": -1}, "max_retries", "-1"),
        ({"category": "data", "exception": ValueError, "max_retries": 2.5}, "max_retries", "2.5"),
        ({"category": "data", "exception": ValueError, "backoff": "fast"}, "backoff", "'fast'"),
        ({"category": "data", "exception": ValueError, "backoff": {"speed": 1}}, "backoff", "speed"),
        ({"category": "data", "exception": ValueError, "backoff": {"base_delay": "5"}}, "backoff", "'5'"),
        ({"category": "data", "exception": ValueError, "backoff": {"jitter": "wild"}}, "backoff", "wild"),
        ({"category": "data", "exception": ValueError, "dag_id": ""}, "dag_id", "''"),
        ({"category": "data", "exception": ValueError, "task_id": 7}, "task_id", "7"),
        ({"category": "data", "exception": ValueError, "reason": "{unclosed"}, "reason", "invalid template"),
    ],
)
def test_invalid_rules_name_the_rule_and_the_field(kwargs: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(ErrorGuardConfigError) as info:
        Rule(name="my-rule", **kwargs)
    message = str(info.value)
    assert "rule 'my-rule'" in message
    assert f"field {field!r}" in message
    assert problem in message
    assert isinstance(info.value, ValueError)  # ErrorGuardConfigError is a ValueError too


def test_defaults_and_normalisation() -> None:
    rule = Rule(category="TRANSIENT", exception="builtins.ValueError")
    assert rule.category is ErrorCategory.TRANSIENT
    assert rule.action is ErrorAction.RETRY
    assert rule.name == "transient-rule"
    assert rule.confidence == 1.0
    with_backoff = Rule(
        category="transient", exception=ValueError, backoff={"base_delay": 2, "jitter": "none"}
    )
    assert isinstance(with_backoff.backoff, Backoff)
    assert with_backoff.backoff.ceiling(2) == 4.0
    assert Rule(category="data", action="alert", exception=KeyError).action is ErrorAction.ALERT


def matches(rule: Rule, exc: BaseException) -> bool:
    return Classifier(rules=[rule]).classify(exc).rule == f"user:{rule.name}"


def test_exception_matcher_uses_the_mro_and_name_patterns() -> None:
    assert matches(Rule(category="data", exception=OSError), ConnectionResetError())
    assert matches(
        Rule(category="data", exception="requests.exceptions.RequestException"), requests_error(500)
    )
    assert matches(Rule(category="data", exception="*.UniqueViolation"), psycopg2.errors.UniqueViolation())
    assert not matches(Rule(category="data", exception=KeyError), ValueError())
    assert matches(Rule(category="data", exception=[KeyError, "ValueError"]), ValueError())


def test_every_matcher_must_match() -> None:
    rule = Rule(category="transient", exception=ValueError, message=r"time(d)? ?out", name="both")
    assert matches(rule, ValueError("request Timed Out"))  # regex is case-insensitive
    assert not matches(rule, ValueError("bad value"))
    assert not matches(rule, TypeError("timed out"))
    assert matches(Rule(category="data", message=re.compile("^exact$")), RuntimeError("exact"))
    assert not matches(Rule(category="data", message=re.compile("^exact$")), RuntimeError("EXACT"))


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        ("5xx", 503, True),
        ("5XX", 599, True),
        ("5xx", 429, False),
        ("500-504", 504, True),
        ("500-504", 505, False),
        ([429, "503"], 503, True),
        (429, 429, True),
    ],
)
def test_http_status_matcher(spec: Any, status: int, expected: bool) -> None:
    assert matches(Rule(category="configuration", http_status=spec), requests_error(status)) is expected


def test_code_matchers() -> None:
    exc = RuntimeError("db")
    exc.pgcode = "08006"  # type: ignore[attr-defined]
    assert matches(Rule(category="system", sqlstate="08*"), exc)
    assert matches(Rule(category="system", sqlstate="08"), exc)
    assert not matches(Rule(category="system", sqlstate="23505"), exc)
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "refused")
    assert matches(Rule(category="system", errno="ECONNREFUSED"), refused)
    assert matches(Rule(category="system", errno=errno.ECONNREFUSED), refused)
    assert not matches(Rule(category="system", errno="ECONNRESET"), refused)
    busy = RuntimeError("database is locked")
    busy.sqlite_errorname = "SQLITE_BUSY"  # type: ignore[attr-defined]
    assert matches(Rule(category="data", driver_code="sqlite:SQLITE_BUSY"), busy)
    assert not matches(Rule(category="data", driver_code="mysql:1213"), busy)
    from tests.unit.classification.test_signals_cloud import client_error

    assert matches(
        Rule(category="data", cloud_code="ThrottlingException"), client_error("ThrottlingException", 400)
    )
    assert not matches(Rule(category="data", cloud_code="SlowDown"), client_error("ThrottlingException", 400))


def test_dag_and_task_scoping_with_a_context() -> None:
    rule = Rule(category="transient", exception=KeyError, dag_id="etl_*", task_id="load_?", name="scoped")
    classifier = Classifier(rules=[rule])
    exc = KeyError("late_partition")
    assert classifier.classify(exc, {"dag_id": "etl_orders", "task_id": "load_1"}).rule == "user:scoped"
    ti = SimpleNamespace(dag_id="etl_orders", task_id="load_2")
    assert classifier.classify(exc, {"ti": ti}).rule == "user:scoped"
    assert classifier.classify(exc, {"task_instance": ti}).rule == "user:scoped"
    for context in (
        {"dag_id": "reporting", "task_id": "load_1"},
        {"dag_id": "etl_orders", "task_id": "load_10"},
        {"dag_id": "etl_orders"},
        None,
        {},
    ):
        result = classifier.classify(exc, context)
        assert_verdict(result, ErrorCategory.DATA, "builtin:type:KeyError")


def test_reason_templates() -> None:
    rule = Rule(
        category="transient",
        http_status="5xx",
        name="upstream",
        reason="{type} {http_status} from {host} ({code}{sqlstate}{errno}): {message} {unknown}",
    )
    result = Classifier(rules=[rule]).classify(requests_error(502, "/v2/things"))
    assert result.reason == (
        "HTTPError 502 from api.example.com (): "
        "502 Server Error: Reason for url: https://api.example.com/v2/things "
    )
    default = Classifier(rules=[Rule(category="data", exception=KeyError, name="k")]).classify(KeyError("x"))
    assert default.reason == "user rule 'k' matched KeyError; data"


def test_unprintable_messages_do_not_match_message_rules() -> None:
    class Exploding(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no str for you")

    rule = Rule(category="transient", message="anything", name="regex-rule")
    result = Classifier(rules=[rule]).classify(Exploding())
    assert result.category is ErrorCategory.UNKNOWN  # the "<unprintable ...>" placeholder does not match
    assert result.rule == "none"
    assert "unprintable Exploding" in result.reason


def test_rule_backoff_and_max_retries_ride_on_the_classification() -> None:
    rule = Rule(
        category="transient",
        http_status=503,
        name="slow-partner",
        backoff={"base_delay": 30, "max_delay": 120},
        max_retries=2,
        action="retry",
        confidence=0.8,
    )
    result = Classifier(rules=[rule]).classify(requests_error(503))
    assert isinstance(result.backoff, Backoff)
    assert result.backoff.base_delay.total_seconds() == 30
    assert result.max_retries == 2
    assert result.confidence == 0.8
    assert result.retryable


def test_dotted_path_matches_a_real_library_exception() -> None:
    rule = Rule(category="configuration", exception="requests.exceptions.InvalidURL", name="bad-url")
    with pytest.raises(requests.exceptions.InvalidURL) as info:
        requests.get("http://", timeout=1)
    assert matches(rule, info.value)


def test_a_rule_that_raises_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenRule(Rule):
        def matches(self, facts: Any) -> bool:
            raise RuntimeError("bug in a rule")

    classifier = Classifier(
        rules=[
            BrokenRule(category="system", exception=KeyError, name="broken"),
            Rule(category="system", name="ok", exception=KeyError),
        ]
    )
    with caplog.at_level("WARNING", logger="airflow_errorguard.classification.classifier"):
        result = classifier.classify(KeyError("x"))
    assert_verdict(result, ErrorCategory.SYSTEM, "user:ok")
    assert "rule 'broken' failed" in caplog.text
    assert "bug in a rule" in caplog.text
