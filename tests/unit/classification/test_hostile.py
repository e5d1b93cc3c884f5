"""Hostile and odd inputs: classification never raises and still says something useful."""

from __future__ import annotations

import errno
from typing import Any

import pytest

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.defaults import classify
from airflow_errorguard.classification.model import ErrorCategory
from tests.unit.helpers import assert_valid, assert_verdict

pytestmark = pytest.mark.unit


class StrRaises(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


class StrInterrupts(ConnectionResetError):
    def __str__(self) -> str:
        raise KeyboardInterrupt


class StrExits(Exception):
    def __str__(self) -> str:
        raise SystemExit(1)


class StrReturnsNonStr(Exception):
    def __str__(self) -> Any:
        return 42  # noqa: PLE0307 - a non-str from __str__ is the point


class PropertiesRaise(Exception):
    @property
    def response(self) -> Any:
        raise KeyboardInterrupt

    @property
    def status_code(self) -> Any:
        raise RuntimeError("status")

    @property
    def errno(self) -> Any:
        raise SystemExit(2)

    @property
    def pgcode(self) -> Any:
        raise GeneratorExit

    @property
    def __cause__(self) -> Any:  # type: ignore[override]
        raise KeyboardInterrupt


class GetattrRaises(TimeoutError):
    def __getattr__(self, name: str) -> Any:
        raise KeyboardInterrupt


class GetattributeRaises(Exception):
    def __getattribute__(self, name: str) -> Any:
        raise KeyboardInterrupt


class ResponseWithRaisingParts:
    status_code = 503

    @property
    def headers(self) -> Any:
        raise KeyboardInterrupt

    @property
    def url(self) -> Any:
        raise SystemExit


class HostileMapping(dict):  # type: ignore[type-arg]
    """A dict whose reads raise (botocore-shaped responses are read as dicts)."""

    def get(self, *args: Any) -> Any:
        raise KeyboardInterrupt

    def __getitem__(self, key: Any) -> Any:
        raise KeyboardInterrupt


def with_attrs(exc: BaseException, **attrs: Any) -> BaseException:
    for name, value in attrs.items():
        setattr(exc, name, value)
    return exc


def test_str_raising_anything(classifier: Classifier) -> None:
    for exc in (StrRaises(), StrExits(), StrReturnsNonStr()):
        result = assert_valid(classifier.classify(exc))
        assert type(exc).__name__ in result.reason
    interrupted = classifier.classify(StrInterrupts(errno.ECONNRESET, "reset"))
    assert_verdict(interrupted, ErrorCategory.TRANSIENT, "builtin:errno:ECONNRESET")
    assert "unprintable StrInterrupts" in interrupted.fingerprint_text


def test_properties_raising_on_signal_attributes(classifier: Classifier) -> None:
    result = assert_valid(classifier.classify(PropertiesRaise("boom")))
    assert result.category is ErrorCategory.UNKNOWN
    assert "http_status" not in result.signals and "errno" not in result.signals
    assert_verdict(
        classifier.classify(GetattrRaises("slow")), ErrorCategory.TRANSIENT, "builtin:type:TimeoutError"
    )
    assert_valid(classifier.classify(GetattributeRaises("x")))


def test_hostile_response_objects(classifier: Classifier) -> None:
    result = classifier.classify(with_attrs(Exception("x"), response=ResponseWithRaisingParts()))
    assert_verdict(result, ErrorCategory.TRANSIENT, "builtin:http:503")
    assert result.retry_after is None
    assert result.signals.get("host") is None


def test_hostile_mappings_as_response_or_headers(classifier: Classifier) -> None:
    assert_valid(classifier.classify(with_attrs(Exception("x"), response=HostileMapping())))
    assert_valid(classifier.classify(with_attrs(Exception("x"), status_code=429, headers=HostileMapping())))
    meta = {"Error": HostileMapping(), "ResponseMetadata": HostileMapping()}
    assert_valid(classifier.classify(with_attrs(Exception("x"), response=meta)))


@pytest.mark.parametrize("exc", [BaseException("bare"), KeyboardInterrupt(), SystemExit(3), GeneratorExit()])
def test_base_exceptions(exc: BaseException, classifier: Classifier) -> None:
    result = assert_valid(classifier.classify(exc))
    expected = ErrorCategory.UNKNOWN if type(exc) is BaseException else ErrorCategory.SYSTEM
    assert result.category is expected


@pytest.mark.parametrize("obj", [None, "oops", 42, object(), ValueError, [ValueError("in a list")]])
def test_non_exceptions(obj: Any, classifier: Classifier) -> None:
    result = assert_valid(classifier.classify(obj))
    assert result.category is ErrorCategory.UNKNOWN
    assert result.rule == "error"
    assert "expected an exception" in result.reason
    assert_valid(classify(obj))


def test_huge_messages_are_capped(classifier: Classifier) -> None:
    huge = ValueError("row " + "x" * 5_000_000 + " timed out")
    result = assert_verdict(classifier.classify(huge), ErrorCategory.DATA, "builtin:type:ValueError")
    assert len(result.fingerprint_text) < 3000
    assert len(result.reason) < 1000
    same = classifier.classify(ValueError("row " + "x" * 6_000_000))
    assert same.fingerprint == result.fingerprint  # only the first 2000 characters count


@pytest.mark.parametrize(
    "message",
    ["nul\x00byte timeout", "lone surrogate \udcff timeout", "\ud800\udfff timeout", "ctrl \x1b[31m timeout"],
)
def test_odd_characters_in_messages(message: str, classifier: Classifier) -> None:
    result = assert_verdict(
        classifier.classify(RuntimeError(message)), ErrorCategory.TRANSIENT, "builtin:message:"
    )
    assert result.to_dict()["fingerprint"] == result.fingerprint


@pytest.mark.parametrize(
    "attrs",
    [
        {"errno": 10**30},
        {"errno": -(10**30)},
        {"errno": True},
        {"status_code": "abc"},
        {"status_code": 10**100},
        {"status": float("nan")},
        {"pgcode": b"42P01"},
        {"pgcode": "42P01-and-more"},
        {"sqlite_errorname": ""},
        {"sqlite_errorname": "SQLITE_"},
        {"grpc_status_code": object()},
        {"retry_after": float("inf"), "status_code": 429},
        {"retry_after": "Wed, 21 Oct 99999 07:28:00 GMT", "status_code": 429},
        {"headers": {"Retry-After": -5}, "status_code": 503},
        {"args": (1213, "deadlock")},
        {"orig": "not an exception", "reason": 42, "last_attempt": object()},
        {"exceptions": "not a tuple"},
    ],
)
def test_odd_attribute_values(attrs: dict[str, Any], classifier: Classifier) -> None:
    result = assert_valid(classifier.classify(with_attrs(RuntimeError("odd"), **attrs)))
    if result.retry_after is not None:
        assert result.retry_after.total_seconds() >= 0
    assert result.to_dict()["category"] == result.category.value


def test_infinite_retry_after_is_capped(classifier: Classifier) -> None:
    result = classifier.classify(with_attrs(RuntimeError("x"), status_code=429, retry_after=float("inf")))
    assert result.retry_after is not None
    assert result.retry_after.total_seconds() == 7 * 86400


def test_exception_without_dict_and_with_slots(classifier: Classifier) -> None:
    class Slotted(ValueError):
        __slots__ = ("code",)

    exc = Slotted("x")
    assert_verdict(classifier.classify(exc), ErrorCategory.DATA, "builtin:type:ValueError")
