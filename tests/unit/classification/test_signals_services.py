"""Service codes read from real SDK exception objects (kubernetes, elasticsearch, trino, websockets,
paramiko): the code decides over the HTTP status, an unknown code falls back to it, and a hostile
or oversized body never breaks classification. The live scenarios are in tests/corpus/fam_wider_*."""

from __future__ import annotations

import json
import warnings

import paramiko
import pytest
import trino.exceptions
import websockets.exceptions
from kubernetes.client.exceptions import ApiException
from websockets.frames import Close

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.signals import LinkFacts
from tests.unit.helpers import assert_verdict

pytestmark = pytest.mark.unit

T, D, C = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION


def k8s_error(status: int, body: object) -> ApiException:
    error = ApiException(status=status, reason="x")
    error.body = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return error


@pytest.mark.parametrize(
    ("status", "reason", "category"),
    [(404, "NotFound", C), (409, "Conflict", T), (410, "Expired", T), (409, "AlreadyExists", D)],
)
def test_kubernetes_status_reason_decides(status, reason, category, classifier: Classifier) -> None:
    result = classifier.classify(k8s_error(status, {"kind": "Status", "reason": reason, "code": status}))
    assert_verdict(result, category, f"builtin:code:k8s:{reason}")


@pytest.mark.parametrize(
    "body",
    ["{not json", "{" + " " * 70000 + "}", '{"reason": 7}', "[]", '{"reason": null}', b"\xff{"],
)
def test_kubernetes_odd_bodies_fall_back_to_the_status(body, classifier: Classifier) -> None:
    assert_verdict(classifier.classify(k8s_error(503, body)), T, "builtin:http:503")


def test_kubernetes_body_as_bytes_is_decoded(classifier: Classifier) -> None:
    result = classifier.classify(k8s_error(503, b'{"reason": "NotFound"}'))
    assert_verdict(result, C, "builtin:code:k8s:NotFound")


def test_an_unknown_trino_error_name_falls_back_to_its_error_type(classifier: Classifier) -> None:
    error = {"message": "m", "errorName": "SOMETHING_NEW", "errorType": "INTERNAL_ERROR", "errorCode": 1}
    assert classifier.classify(trino.exceptions.TrinoQueryError(error)).category is T
    user = trino.exceptions.TrinoUserError({**error, "errorType": "USER_ERROR"})
    assert classifier.classify(user).category is C
    known = trino.exceptions.TrinoUserError({**error, "errorName": "DIVISION_BY_ZERO"})
    assert_verdict(classifier.classify(known), D, "builtin:code:trino:DIVISION_BY_ZERO")


@pytest.mark.parametrize(("code", "category"), [(1011, T), (1013, T), (1008, C), (1009, D)])
def test_websocket_close_code(code, category, classifier: Classifier) -> None:
    error = websockets.exceptions.ConnectionClosedError(Close(code, "r"), None)
    assert_verdict(classifier.classify(error), category, f"builtin:code:websocket:{code}")


def test_ssh_channel_open_failure_code(classifier: Classifier) -> None:
    prohibited = paramiko.ChannelException(1, "Administratively prohibited")
    assert_verdict(classifier.classify(prohibited), C, "builtin:code:ssh-channel:1")
    # CONNECT_FAILED is a forwarded target that is down, or a refused session: the reason text decides.
    unreachable = paramiko.ChannelException(2, "Connection refused")
    assert_verdict(classifier.classify(unreachable), T, "builtin:message:")
    refused = paramiko.ChannelException(2, "Session refused")
    assert_verdict(classifier.classify(refused), C, "builtin:type:paramiko.ssh_exception.ChannelException")


def test_elasticsearch_type_without_a_body(classifier: Classifier) -> None:
    from elastic_transport import ApiResponseMeta, HttpHeaders
    from elasticsearch import NotFoundError

    meta = ApiResponseMeta(404, "1.1", HttpHeaders(), 0.0, None)  # type: ignore[arg-type]
    error = NotFoundError("index_not_found_exception", meta, "plain text body")
    assert_verdict(classifier.classify(error), C, "builtin:code:es:index_not_found_exception")


def test_clickhouse_error_name_from_the_server_text(classifier: Classifier) -> None:
    from clickhouse_connect.driver.exceptions import DatabaseError

    text = "Code: 241. DB::Exception: Memory limit (total) exceeded. (MEMORY_LIMIT_EXCEEDED) (version 24.8)"
    assert_verdict(
        classifier.classify(DatabaseError(text)), T, "builtin:code:clickhouse:MEMORY_LIMIT_EXCEEDED"
    )
    assert classifier.classify(DatabaseError("Code: 1. DB::Exception: (lowercase)")).rule != "builtin:code:"


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("NotLeaderForPartitionError", T),  # errno 6: ENXIO as an OS errno
        ("NetworkExceptionError", T),  # 13: EACCES
        ("RequestTimedOutError", T),  # 7: E2BIG
        ("TopicAuthorizationFailedError", C),
        ("UnknownTopicOrPartitionError", C),
        ("MessageSizeTooLargeError", D),
        ("TopicAlreadyExistsError", D),  # 36: ENAMETOOLONG
    ],
)
def test_kafka_protocol_codes_are_not_os_errnos(name, category, classifier: Classifier) -> None:
    import kafka.errors

    error = getattr(kafka.errors, name)()
    assert_verdict(classifier.classify(error), category, f"builtin:code:kafka:{error.errno}")


def test_an_unlisted_kafka_code_is_not_read_as_an_os_errno() -> None:
    import kafka.errors

    error = kafka.errors.UnreleasedInstanceIdError()  # Kafka code 111; as an OS errno, ECONNREFUSED
    facts = LinkFacts(error)
    assert error.errno == 111
    assert facts.errno is None
    assert facts.cloud_code == "kafka:111"  # a service code, which the knowledge does not list


def test_a_clickhouse_code_is_not_an_http_status() -> None:
    from clickhouse_connect.driver.exceptions import DatabaseError

    error = DatabaseError("Code: 404. DB::Exception: something new. (SOMETHING_NEW) (version 24.8)")
    error.code = 404
    assert LinkFacts(error).http_status is None


def test_a_websocket_close_is_read_without_deprecation_warnings() -> None:
    error = websockets.exceptions.ConnectionClosedError(Close(1011, "internal error"), None)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        verdict = Classifier(cache_size=0).classify(error)
    assert [str(w.message) for w in seen] == []
    assert_verdict(verdict, T, "builtin:code:websocket:1011")


@pytest.mark.parametrize(
    ("error", "category"),
    [("slow_down", T), ("temporarily_unavailable", T), ("invalid_grant", C), ("invalid_scope", C)],
)
def test_an_oauth_error_code_decides_over_the_generic_class(error, category, classifier: Classifier) -> None:
    """oauthlib raises an error code it has no class for as ``CustomOAuth2Error`` (status 400)."""
    from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error

    assert_verdict(
        classifier.classify(CustomOAuth2Error(error, status_code=400)),
        category,
        f"builtin:code:oauth:{error}",
    )


def test_an_oauth_error_that_is_not_a_code_is_not_read(classifier: Classifier) -> None:
    from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error

    assert "oauth" not in classifier.classify(CustomOAuth2Error("Not A Code!", status_code=400)).rule


@pytest.mark.parametrize(("code", "category"), [(451, T), (421, T), (552, D), (553, C), (535, C)])
def test_aiosmtplib_reply_codes_are_smtp_replies_not_http_statuses(
    code, category, classifier: Classifier
) -> None:
    import aiosmtplib

    assert_verdict(
        classifier.classify(aiosmtplib.SMTPResponseException(code, "reply")),
        category,
        f"builtin:smtp:{code}",
    )


def test_aiosmtplib_refused_recipients_one_permanent_refusal_decides(classifier: Classifier) -> None:
    import aiosmtplib

    refused = [
        aiosmtplib.SMTPRecipientRefused(450, "busy", "a@x"),
        aiosmtplib.SMTPRecipientRefused(550, "no", "b@x"),
    ]
    assert_verdict(classifier.classify(aiosmtplib.SMTPRecipientsRefused(refused)), D, "builtin:smtp:550")
