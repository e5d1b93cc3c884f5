"""Classification, its fingerprint and the masking of volatile message parts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.fingerprint import mask_message
from airflow_errorguard.classification.model import (
    DEFAULT_ACTIONS,
    SEVERITY,
    Classification,
    ErrorAction,
    ErrorCategory,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "GET https://api.example.com:8443/v1/items/123?x=1 failed",
            "GET https://api.example.com/v1/items/<id> failed",
        ),
        ("POST http://10.0.0.7:8080/v2/orders/ab12cd34/lines", "POST http://<ip>/v2/orders/<id>/lines"),
        ("mail ops@example.com now", "mail <email> now"),
        ("run 123e4567-e89b-12d3-a456-426614174000 died", "run <uuid> died"),
        ("at 2024-05-01T12:30:45.123+02:00 and 2024-05-01 12:30", "at <ts> and <ts>"),
        ("""value 'abc' and "def" and `ghi`""", "value <str> and <str> and <str>"),
        ("'customer_id'", "'customer_id'"),
        (
            'column "customer_id" of relation "orders" does not exist',
            'column "customer_id" of relation "orders" does not exist',
        ),
        ("Duplicate entry '42' for key 'orders.PRIMARY'", "Duplicate entry <str> for key 'orders.PRIMARY'"),
        ("'NoneType' object has no attribute 'strip'", "'NoneType' object has no attribute 'strip'"),
        ("unknown currency 'EURO'", "unknown currency <str>"),
        ("open /data/in/2024/file.csv and C:\\tmp\\x.txt", "open <path> and <path>"),
        ("host 10.0.0.12:5432 down", "host <ip> down"),
        ("object 0xdeadbeef and sha 9f86d081884c7d65", "object <hex> and sha <hex>"),
        ("took 1.5s for 42 rows", "took <n>s for <n> rows"),
        ("  many   \n spaces\t", "many spaces"),
    ],
)
def test_mask_message(text: str, masked: str) -> None:
    assert mask_message(text) == masked


def test_mask_message_is_capped() -> None:
    assert len(mask_message("word " * 10_000)) <= 2000


def test_classification_helpers() -> None:
    verdict = Classification(
        category=ErrorCategory.TRANSIENT,
        action=ErrorAction.RETRY,
        confidence=0.97123,
        rule="builtin:http:429",
        reason="HTTP 429 is rate limiting; transient",
        retry_after=timedelta(seconds=7),
        exception_type="requests.exceptions.HTTPError",
        signals={"http_status": 429, "host": "api.example.com", "response": object()},
        fingerprint_source="requests.exceptions.HTTPError [http=429]: 429 Client Error for url: https://x/1",
    )
    assert verdict.retryable
    assert str(verdict.category) == "transient" and str(verdict.action) == "retry"
    assert (
        verdict.fingerprint_text
        == "requests.exceptions.HTTPError [http=429]: <n> Client Error for url: https://x/<id>"
    )
    data = verdict.to_dict()
    assert data == {
        "category": "transient",
        "action": "retry",
        "confidence": 0.971,
        "rule": "builtin:http:429",
        "reason": "HTTP 429 is rate limiting; transient",
        "retry_after_seconds": 7.0,
        "exception_type": "requests.exceptions.HTTPError",
        "fingerprint": verdict.fingerprint,
        "signals": {"http_status": 429, "host": "api.example.com"},
    }
    json.dumps(data)


def test_default_actions_and_severity_cover_every_category() -> None:
    assert set(DEFAULT_ACTIONS) == set(ErrorCategory) == set(SEVERITY)
    assert DEFAULT_ACTIONS[ErrorCategory.DATA] is ErrorAction.QUARANTINE
    assert DEFAULT_ACTIONS[ErrorCategory.UNKNOWN] is ErrorAction.RETRY
    assert SEVERITY[0] is ErrorCategory.CONFIGURATION and SEVERITY[-1] is ErrorCategory.TRANSIENT


def test_fingerprints_keep_codes_and_mask_the_message(classifier: Classifier) -> None:
    result = classifier.classify(ConnectionResetError(104, "Connection reset by peer"))
    assert result.fingerprint_text == "ConnectionResetError [errno=104]: [Errno <n>] Connection reset by peer"
    assert (
        classifier.classify(ConnectionResetError(104, "Connection reset by peer")).fingerprint
        == result.fingerprint
    )
    chained = RuntimeError("job 42 failed")
    chained.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    text = classifier.classify(chained).fingerprint_text
    assert text == "RuntimeError <- ConnectionResetError [errno=104]: [Errno <n>] Connection reset by peer"
    unknown = classifier.classify(RuntimeError("job 42 failed at 10:15"))
    assert unknown.fingerprint_text == "RuntimeError: job <n> failed at <n>:<n>"


def test_fast_built_verdicts_equal_constructed_ones_and_keep_their_own_fingerprint() -> None:
    fields = {
        "category": ErrorCategory.TRANSIENT,
        "action": ErrorAction.RETRY,
        "confidence": 0.9,
        "rule": "builtin:http:503",
        "reason": "HTTP 503; transient",
        "retry_after": timedelta(seconds=5),
        "exception_type": "requests.exceptions.HTTPError",
        "signals": {"http_status": 503},
        "backoff": None,
        "max_retries": None,
        "fingerprint_source": "requests.exceptions.HTTPError [http=503]: 503 for /v1/items/1",
    }
    built = Classification.of(**fields)
    assert built == Classification(**fields)
    assert built.fingerprint == Classification(**fields).fingerprint
    assert built.fingerprint  # cached on built from now on
    other = built.for_exception(None, {"http_status": 503}, "requests.exceptions.HTTPError [http=503]: down")
    assert other == Classification(
        **{**fields, "retry_after": None, "fingerprint_source": other.fingerprint_source}
    )
    assert other.fingerprint != built.fingerprint, (
        "a cache hit must not inherit the cached verdict's fingerprint"
    )
    with pytest.raises(AttributeError):
        built.rule = "x"  # type: ignore[misc]  # still frozen
