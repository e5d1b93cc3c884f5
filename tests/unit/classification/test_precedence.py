"""Which signal decides when several disagree: messages vs classes, chains, groups, cycles, depth."""

from __future__ import annotations

import asyncio
import errno

import psycopg2
import pytest
import requests
import sqlalchemy as sa
import tenacity
from airflow.sdk.exceptions import AirflowException

from airflow_errorguard.classification.classifier import MAX_DEPTH, Classifier
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.rules import Rule
from tests.unit.classification.test_signals_http import requests_error
from tests.unit.helpers import BaseExceptionGroup, ExceptionGroup, assert_valid, assert_verdict

pytestmark = pytest.mark.unit

T, D, C, S = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION, ErrorCategory.SYSTEM
AUTH_FAILED = (
    'connection to server at "db.internal" (10.0.0.5), port 5432 failed: '
    'FATAL:  password authentication failed for user "etl"'
)


def chained(outer: BaseException, inner: BaseException, *, explicit: bool = True) -> BaseException:
    """*outer* really raised while handling *inner* (``raise outer from inner`` or implicitly)."""
    try:
        try:
            raise inner
        except BaseException:
            if explicit:
                raise outer from inner
            raise outer  # noqa: B904 - the implicit __context__ is the point
    except BaseException as exc:
        return exc
    raise AssertionError("unreachable")


# -- messages vs classes ---------------------------------------------------------------------


def test_operational_error_saying_password_authentication_failed_is_configuration(
    classifier: Classifier,
) -> None:
    driver = psycopg2.OperationalError(AUTH_FAILED)
    result = classifier.classify(driver)
    # The broad class says transient (0.6); its message says configuration, and refines it.
    assert_verdict(result, C, "builtin:message:", reason_has=("authentication failed",), min_confidence=0.9)
    wrapped = sa.exc.OperationalError("SELECT 1", {}, driver)
    assert wrapped.orig is driver
    assert_verdict(classifier.classify(wrapped), C, "builtin:message:", reason_has=("authentication failed",))


def test_a_message_never_overrides_a_specific_signal(classifier: Classifier) -> None:
    exc = ConnectionResetError(errno.ECONNRESET, "permission denied by peer")
    assert_verdict(classifier.classify(exc), T, "builtin:errno:ECONNRESET")
    state = psycopg2.errors.lookup("23505")("duplicate key; server closed the connection unexpectedly")
    assert_verdict(classifier.classify(state), D, "builtin:type:psycopg2.errors.UniqueViolation")


# -- chains -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrapper", [AirflowException, RuntimeError], ids=["AirflowException", "RuntimeError"]
)
@pytest.mark.parametrize(("status", "category"), [(503, T), (401, C), (422, D)])
def test_http_error_under_a_wrapper_is_decided_by_the_cause(wrapper, status, category, classifier) -> None:
    exc = chained(wrapper("partner API call failed"), requests_error(status))
    result = classifier.classify(exc)
    assert_verdict(
        result,
        category,
        f"builtin:http:{status}",
        reason_has=(f"HTTP {status}", f"found in the cause of {wrapper.__name__}"),
    )
    assert result.exception_type == "requests.exceptions.HTTPError"
    assert result.signals["http_status"] == status


def test_airflow_exception_class_status_never_competes_with_the_cause(classifier: Classifier) -> None:
    # HTTP 404 (0.6) is weak; AirflowException.status_code = 500 must not outrank it.
    result = classifier.classify(chained(AirflowException("lookup failed"), requests_error(404)))
    assert_verdict(result, D, "builtin:http:404", reason_has=("found in the cause of AirflowException",))
    set_on_instance = AirflowException("gateway said 503")
    set_on_instance.status_code = 503
    assert_verdict(classifier.classify(set_on_instance), T, "builtin:http:503")


def test_raise_from_none_hides_the_cause(classifier: Classifier) -> None:
    try:
        try:
            raise requests_error(503)
        except requests.HTTPError:
            raise RuntimeError("could not load partner data") from None
    except RuntimeError as exc:
        result = classifier.classify(exc)
    assert result.category is ErrorCategory.UNKNOWN
    assert result.rule == "none"
    assert "RuntimeError" in result.reason


def test_implicit_context_counts_for_85_percent(classifier: Classifier) -> None:
    # ValueError (0.7) < ConnectionResetError (0.9 * 0.85 = 0.765): the context wins, weighted.
    implicit = classifier.classify(chained(ValueError("bad row"), ConnectionResetError(), explicit=False))
    assert_verdict(
        implicit,
        T,
        "builtin:type:ConnectionResetError",
        reason_has=("raised while handling it, in ValueError",),
    )
    assert implicit.confidence == pytest.approx(0.765)
    explicit = classifier.classify(chained(ValueError("bad row"), ConnectionResetError()))
    assert explicit.confidence == pytest.approx(0.9)
    # KeyError (0.8) beats the weighted context (0.765) but not the same error as explicit cause (0.9).
    assert_verdict(
        classifier.classify(chained(KeyError("id"), ConnectionResetError(), explicit=False)),
        D,
        "builtin:type:KeyError",
    )
    assert_verdict(
        classifier.classify(chained(KeyError("id"), ConnectionResetError())),
        T,
        "builtin:type:ConnectionResetError",
    )


def test_ties_go_to_the_inner_cause(classifier: Classifier) -> None:
    result = classifier.classify(chained(TimeoutError("read timed out"), ConnectionResetError()))
    assert_verdict(result, T, "builtin:type:ConnectionResetError", reason_has=("found in the cause",))
    # Equally confident, different categories: the more specific inner cause decides.
    result = classifier.classify(chained(ConnectionError("feed unavailable"), UnicodeError("bad bytes")))
    assert_verdict(result, D, "builtin:type:UnicodeError")


def test_an_implicit_context_does_not_win_ties(classifier: Classifier) -> None:
    try:
        try:
            raise ConnectionResetError("reset")
        except ConnectionResetError:
            raise ValueError("unknown currency 'EURO'") from None
    except ValueError as exc:
        assert_verdict(classifier.classify(exc), D, "builtin:")


def test_tenacity_retry_error_is_decided_by_its_last_attempt(classifier: Classifier) -> None:
    def flaky() -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "/secrets/key.pem")

    retrying = tenacity.Retrying(stop=tenacity.stop_after_attempt(2), wait=tenacity.wait_none())
    with pytest.raises(tenacity.RetryError) as info:
        retrying(flaky)
    result = classifier.classify(info.value)
    assert_verdict(result, C, "builtin:", reason_has=("PermissionError", "found in the cause of RetryError"))


# -- groups -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "category"),
    [
        ([ConnectionResetError(), KeyError("id"), PermissionError("no")], C),
        ([ConnectionResetError(), MemoryError(), KeyError("id")], S),
        ([ConnectionResetError(), KeyError("id")], D),
        ([TimeoutError(), ConnectionResetError()], T),
        ([RuntimeError("nobody knows me"), TimeoutError()], T),
        ([ExceptionGroup("inner", [KeyError("id")]), TimeoutError()], D),
    ],
    ids=[
        "configuration-wins",
        "system-over-data",
        "data-over-transient",
        "all-transient",
        "unknown-member",
        "nested",
    ],
)
def test_group_members_combine_by_severity(members, category, classifier: Classifier) -> None:
    result = classifier.classify(ExceptionGroup("several tasks failed", members))
    assert_verdict(result, category, "builtin:", reason_has=("found in a member of",))


def test_real_task_group_failure(classifier: Classifier) -> None:
    async def reset() -> None:
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")

    async def missing_key() -> None:  # fails in the same loop turn, before any cancellation
        raise KeyError("customer_id")

    async def main() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(reset())
            group.create_task(missing_key())

    with pytest.raises(ExceptionGroup) as info:
        asyncio.run(main())
    assert len(info.value.exceptions) == 2
    assert_verdict(classifier.classify(info.value), D, "builtin:type:KeyError")


def test_base_exception_group_with_an_interrupt(classifier: Classifier) -> None:
    group = BaseExceptionGroup("stopped", [KeyboardInterrupt(), TimeoutError()])
    assert_verdict(classifier.classify(group), S, "builtin:type:KeyboardInterrupt")


# -- cycles and depth ---------------------------------------------------------------------------


def test_cyclic_chains_terminate(classifier: Classifier) -> None:
    first, second = ValueError("a"), TimeoutError("b")
    first.__cause__, second.__cause__ = second, first
    assert_verdict(classifier.classify(first), T, "builtin:type:TimeoutError")
    loop = RuntimeError("self")
    loop.__context__ = loop
    assert_valid(classifier.classify(loop))
    orig_loop = sa.exc.OperationalError("SELECT 1", {}, ConnectionResetError())
    orig_loop.orig.__context__ = orig_loop
    assert_verdict(classifier.classify(orig_loop), T, "builtin:type:ConnectionResetError")
    group = ExceptionGroup("g", [KeyError("k")])
    group.exceptions[0].__cause__ = group
    assert_verdict(classifier.classify(group), D, "builtin:type:KeyError")


def _nested(depth: int, root: BaseException) -> BaseException:
    exc = root
    for level in range(depth):
        outer = RuntimeError(f"level {level}")
        outer.__cause__ = exc
        exc = outer
    return exc


def test_causes_deeper_than_max_depth_are_not_read(classifier: Classifier) -> None:
    assert MAX_DEPTH == 8
    found = classifier.classify(_nested(MAX_DEPTH, PermissionError("denied")))
    assert_verdict(found, C, "builtin:type:PermissionError")
    beyond = classifier.classify(_nested(MAX_DEPTH + 1, PermissionError("denied")))
    assert beyond.category is ErrorCategory.UNKNOWN
    assert beyond.rule == "none"


def test_very_long_chains_and_huge_groups_stay_bounded(classifier: Classifier) -> None:
    assert_valid(classifier.classify(_nested(5000, KeyError("deep"))))
    members = [RuntimeError(str(i)) for i in range(5000)]
    assert_valid(classifier.classify(ExceptionGroup("wide", members)))


# -- user rules first ---------------------------------------------------------------------------


def test_a_user_rule_beats_the_builtin_knowledge() -> None:
    rule = Rule(category="transient", http_status=403, name="flaky-proxy", reason="the proxy flaps ({host})")
    classifier = Classifier(rules=[rule])
    result = classifier.classify(requests_error(403))
    assert_verdict(result, T, "user:flaky-proxy", min_confidence=1.0)
    assert result.reason == "the proxy flaps (api.example.com)"
    nested = classifier.classify(chained(AirflowException("call failed"), requests_error(403)))
    assert_verdict(nested, T, "user:flaky-proxy", reason_has=("found in the chain of AirflowException",))
    # Other statuses still get the built-in verdict.
    assert_verdict(classifier.classify(requests_error(401)), C, "builtin:http:401")
