"""The class-name fallback (knowledge_names): read only for classes no table lists, never above
confidence 0.7, so a listed base class, a code or a message pattern always outranks a name."""

from __future__ import annotations

import errno

import pytest

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.knowledge_names import NAME_PATTERNS, name_entry
from airflow_errorguard.classification.model import ErrorCategory

pytestmark = pytest.mark.unit

T, D, C, S = (
    ErrorCategory.TRANSIENT,
    ErrorCategory.DATA,
    ErrorCategory.CONFIGURATION,
    ErrorCategory.SYSTEM,
)


def _unlisted(name: str, base: type[BaseException] = Exception) -> type[BaseException]:
    """A class of a library no table lists (its module is made up)."""
    return type(name, (base,), {"__module__": "some_unseen_client.errors"})


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("ColumnNotFoundError", D),
        ("StreamNotFoundError", C),
        ("NoSuchBucket", C),
        ("AuthorizationError", C),
        ("ExpiredSignatureError", C),
        ("InvalidTimeoutError", C),
        ("ReadTimeout", T),
        ("NoRespondersError", T),
        ("DeadlockDetected", T),
        ("SchemaMismatchError", D),
        ("OutOfMemoryError", S),
        ("ConnectionClosedError", T),
        # The first pattern in NAME_PATTERNS' order decides, not the leftmost word: an authentication
        # or configuration failure named after its connection or its timeout is never "transient".
        ("ConnectionAuthError", C),
        ("TransportConfigurationError", C),
        ("TimeoutPermissionDenied", C),
        ("AccountLockedError", C),  # not a lock conflict
    ],
)
def test_an_unlisted_class_is_read_by_the_words_of_its_name(name: str, category: ErrorCategory) -> None:
    verdict = Classifier().classify(_unlisted(name)("boom"))
    assert verdict.category is category, verdict.reason
    assert "is named for" in verdict.reason


def test_names_that_say_nothing_decide_nothing() -> None:
    for name in ("Error", "ClientError", "ApiException", "ResponseError", "ServerError"):
        assert name_entry((f"some_unseen_client.errors.{name}",)) is None, name
    assert Classifier().classify(_unlisted("ApiException")("boom")).category is ErrorCategory.UNKNOWN


def test_a_name_never_outranks_other_knowledge() -> None:
    assert max(entry[1] for _, entry in NAME_PATTERNS) <= 0.7
    # A listed base class decides (ValueError: data), whatever the subclass is named.
    assert Classifier().classify(_unlisted("ConnectionTimeoutError", ValueError)("x")).category is D
    # An errno decides over the name.
    refused = _unlisted("SchemaError", OSError)(errno.ECONNREFUSED, "refused")
    assert Classifier().classify(refused).category is T
    # A message pattern (confidence >= 0.75) decides over the name.
    assert Classifier().classify(_unlisted("ComputeError")("password authentication failed")).category is C


def test_the_most_specific_class_with_a_telling_name_decides() -> None:
    base = _unlisted("PlatformTimeoutError")
    child = type("TableNotFound", (base,), {"__module__": "some_unseen_client.errors"})
    assert Classifier().classify(child("x")).category is C
    silent = type("Error", (base,), {"__module__": "some_unseen_client.errors"})
    assert Classifier().classify(silent("x")).category is T
