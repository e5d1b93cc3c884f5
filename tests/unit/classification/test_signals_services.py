"""Service codes read from real SDK exception objects (kubernetes, elasticsearch, trino, websockets,
paramiko): the code decides over the HTTP status, an unknown code falls back to it, and a hostile
or oversized body never breaks classification. The live scenarios are in tests/corpus/fam_wider_*."""

from __future__ import annotations

import json

import paramiko
import pytest
import trino.exceptions
import websockets.exceptions
from kubernetes.client.exceptions import ApiException
from websockets.frames import Close

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
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
