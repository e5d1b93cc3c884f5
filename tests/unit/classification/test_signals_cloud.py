"""Service codes from real botocore/boto3, google-api-core, google-auth and Airflow SDK exceptions."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

import boto3
import botocore.exceptions as boto_exc
import google.api_core.exceptions as gexc
import google.auth.exceptions as gauth
import grpc
import pytest
from botocore.stub import Stubber

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.compat import AIRFLOW_EXCEPTIONS_MODULE, AIRFLOW_V_3_2_PLUS
from tests.unit.helpers import assert_verdict

pytestmark = pytest.mark.unit

T, D, C = ErrorCategory.TRANSIENT, ErrorCategory.DATA, ErrorCategory.CONFIGURATION


def client_error(code: str, status: int, message: str = "msg", headers: dict[str, str] | None = None):
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": "A1B2C3", "HTTPStatusCode": status, "HTTPHeaders": headers or {}},
    }
    return boto_exc.ClientError(response, "PutObject")


# -- botocore -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "category", "phrase"),
    [
        ("ThrottlingException", 400, T, "is throttling"),
        ("SlowDown", 503, T, "is throttling"),
        ("InternalError", 500, T, "transient service-side failure"),
        ("AccessDenied", 403, C, "misconfigured"),
        ("ExpiredToken", 400, C, "misconfigured"),
        ("ValidationException", 400, D, "content was rejected"),
    ],
)
def test_botocore_client_error_code(code, status, category, phrase, classifier: Classifier) -> None:
    result = classifier.classify(client_error(code, status))
    assert_verdict(result, category, f"builtin:code:{code}", reason_has=(f"code {code}", phrase))
    assert result.signals["cloud_code"] == code
    assert result.signals["http_status"] == status


def test_botocore_unknown_code_falls_back_to_the_http_status(classifier: Classifier) -> None:
    result = classifier.classify(client_error("SomethingNew", 503))
    assert_verdict(result, T, "builtin:http:503", reason_has=("HTTP 503",))
    result = classifier.classify(client_error("SomethingNew", 400))
    assert_verdict(result, D, "builtin:http:400", reason_has=("HTTP 400",))


def test_botocore_retry_after_header(classifier: Classifier) -> None:
    result = classifier.classify(client_error("ThrottlingException", 400, headers={"retry-after": "12"}))
    assert result.retry_after == timedelta(seconds=12)


def test_botocore_fingerprint(classifier: Classifier) -> None:
    first = classifier.classify(client_error("ThrottlingException", 400, "Rate exceeded for id 1234"))
    second = classifier.classify(client_error("ThrottlingException", 400, "Rate exceeded for id 98"))
    other = classifier.classify(client_error("AccessDenied", 403, "Rate exceeded for id 1234"))
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint != other.fingerprint


def test_botocore_client_side_errors(classifier: Classifier) -> None:
    assert_verdict(
        classifier.classify(boto_exc.NoCredentialsError()),
        C,
        "builtin:type:botocore.exceptions.NoCredentialsError",
        reason_has=("NoCredentialsError", "AWS credentials"),
    )
    assert_verdict(
        classifier.classify(
            boto_exc.EndpointConnectionError(endpoint_url="https://s3.eu-west-1.amazonaws.com")
        ),
        T,
        "builtin:type:botocore.exceptions.EndpointConnectionError",
        reason_has=("network failure talking to AWS",),
    )


def test_boto3_modeled_error_from_a_stubbed_client(classifier: Classifier) -> None:
    """A real S3 client raising the modeled exception class its error factory builds."""
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(s3) as stub:
        stub.add_client_error("head_bucket", "NoSuchBucket", "The bucket does not exist", 404)
        stub.add_client_error("head_bucket", "SlowDown", "Please reduce your request rate", 503)
        with pytest.raises(s3.exceptions.NoSuchBucket) as missing:
            s3.head_bucket(Bucket="my-bucket-1")
        with pytest.raises(boto_exc.ClientError) as throttled:
            s3.head_bucket(Bucket="my-bucket-2")
    assert_verdict(classifier.classify(missing.value), C, "builtin:code:NoSuchBucket")
    assert_verdict(
        classifier.classify(throttled.value), T, "builtin:code:SlowDown", reason_has=("throttling",)
    )


def test_boto3_parameter_validation(classifier: Classifier) -> None:
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with pytest.raises(boto_exc.ParamValidationError) as info:
        s3.head_bucket()  # Bucket is required: validated before any request
    assert_verdict(
        classifier.classify(info.value),
        D,
        "builtin:type:botocore.exceptions.ParamValidationError",
        reason_has=("failed validation",),
    )


# -- google-api-core / google-auth --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "category", "rule"),
    [
        # classes that carry a gRPC code: the code decides (it is as confident or more)
        (503, T, "builtin:code:UNAVAILABLE"),
        (500, T, "builtin:code:INTERNAL"),
        (404, C, "builtin:code:NOT_FOUND"),
        # classes without one: their HTTP status decides
        (504, T, "builtin:http:504"),
        (429, T, "builtin:http:429"),
        (403, C, "builtin:http:403"),
        (401, C, "builtin:http:401"),
        (400, D, "builtin:http:400"),
        (409, D, "builtin:http:409"),
    ],
)
def test_google_from_http_status(status, category, rule, classifier: Classifier) -> None:
    exc = gexc.from_http_status(status, "boom on projects/p-123/datasets/d")
    result = classifier.classify(exc)
    subject = f"HTTP {status}" if rule.startswith("builtin:http:") else type(exc).__name__
    assert_verdict(result, category, rule, reason_has=(subject,))
    assert result.signals["http_status"] == status


@pytest.mark.parametrize(
    ("code", "category", "rule"),
    [
        (grpc.StatusCode.UNAVAILABLE, T, "builtin:code:UNAVAILABLE"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, T, "builtin:code:DEADLINE_EXCEEDED"),
        (grpc.StatusCode.ABORTED, T, "builtin:code:ABORTED"),
        (grpc.StatusCode.PERMISSION_DENIED, C, "builtin:code:PERMISSION_DENIED"),
        (grpc.StatusCode.UNAUTHENTICATED, C, "builtin:code:UNAUTHENTICATED"),
        (grpc.StatusCode.INVALID_ARGUMENT, D, "builtin:code:INVALID_ARGUMENT"),
        (grpc.StatusCode.OUT_OF_RANGE, D, "builtin:code:OUT_OF_RANGE"),
        (grpc.StatusCode.DATA_LOSS, ErrorCategory.SYSTEM, "builtin:code:DATA_LOSS"),
        # TooManyRequests carries both 429 and RESOURCE_EXHAUSTED: the service code outranks the status
        (grpc.StatusCode.RESOURCE_EXHAUSTED, T, "builtin:code:RESOURCE_EXHAUSTED"),
    ],
)
def test_google_from_grpc_status(code, category, rule, classifier: Classifier) -> None:
    exc = gexc.from_grpc_status(code, "rpc failed")
    result = classifier.classify(exc)
    assert_verdict(result, category, rule)
    assert result.signals["cloud_code"] == code.name
    if rule.startswith("builtin:code:"):
        assert f"code {code.name}" in result.reason


def test_google_fingerprint(classifier: Classifier) -> None:
    first = classifier.classify(gexc.ServiceUnavailable("backend 10.0.0.12 unavailable, request 8812"))
    second = classifier.classify(gexc.ServiceUnavailable("backend 10.0.0.99 unavailable, request 17"))
    other = classifier.classify(gexc.PermissionDenied("backend 10.0.0.12 unavailable, request 8812"))
    assert first.fingerprint == second.fingerprint != other.fingerprint


def test_google_retry_error(classifier: Classifier) -> None:
    exc = gexc.RetryError("Deadline of 120.0s exceeded", cause=gexc.ServiceUnavailable("x"))
    assert_verdict(classifier.classify(exc), T, "builtin:", min_confidence=0.8)


@pytest.mark.parametrize(
    ("exc", "category", "path"),
    [
        (gauth.RefreshError("invalid_grant: Token has been expired"), C, "RefreshError"),
        (
            gauth.DefaultCredentialsError("Could not automatically determine credentials"),
            C,
            "DefaultCredentialsError",
        ),
        (gauth.TransportError("Connection aborted"), T, "TransportError"),
    ],
)
def test_google_auth(exc, category, path, classifier: Classifier) -> None:
    assert_verdict(
        classifier.classify(exc), category, f"builtin:type:google.auth.exceptions.{path}", reason_has=(path,)
    )


# -- Airflow SDK --------------------------------------------------------------------------


def _runtime_error(kind: str, conn_id: str) -> BaseException:
    """What the task SDK raises when the API server answers a connection lookup with an error."""
    from airflow.sdk.exceptions import ErrorType
    from airflow.sdk.execution_time.comms import ErrorResponse
    from airflow.sdk.execution_time.context import _process_connection_result_conn

    with pytest.raises(BaseException) as info:
        _process_connection_result_conn(ErrorResponse(error=ErrorType(kind), detail={"conn_id": conn_id}))
    return info.value


def test_airflow_connection_not_found(classifier: Classifier) -> None:
    from airflow.sdk.exceptions import AirflowRuntimeError

    exc = _runtime_error("CONNECTION_NOT_FOUND", "warehouse_1")
    assert isinstance(exc, AirflowRuntimeError)
    result = classifier.classify(exc)
    assert_verdict(
        result,
        C,
        "builtin:code:CONNECTION_NOT_FOUND",
        reason_has=("connection is not defined",),
        min_confidence=0.95,
    )
    assert (
        result.fingerprint
        == classifier.classify(_runtime_error("CONNECTION_NOT_FOUND", "warehouse_2")).fingerprint
    )
    other = classifier.classify(_runtime_error("VARIABLE_NOT_FOUND", "warehouse_1"))
    assert_verdict(other, C, "builtin:code:VARIABLE_NOT_FOUND")
    assert other.fingerprint != result.fingerprint


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("AirflowTaskTimeout", T),
        ("AirflowTaskTerminated", ErrorCategory.SYSTEM),
        ("AirflowNotFoundException", C),
        # Airflow 3.2 added AirflowSecretsBackendAccessDenied; 3.1 has no such class to raise.
        *([("AirflowSecretsBackendAccessDenied", C)] if AIRFLOW_V_3_2_PLUS else []),
    ],
)
def test_airflow_sdk_exception_types(name, category, classifier: Classifier) -> None:
    cls = getattr(importlib.import_module(AIRFLOW_EXCEPTIONS_MODULE), name)
    result = classifier.classify(cls("something about task 42"))
    assert_verdict(result, category, "builtin:type:", reason_has=(name,))
    assert result.rule.endswith(f".{name}")


def test_airflow_exception_alone_is_unknown(classifier: Classifier) -> None:
    from airflow.sdk.exceptions import AirflowException

    # AirflowException.status_code (500) is what the API server would answer, not a response.
    assert AirflowException.status_code == 500
    result = classifier.classify(AirflowException("something odd happened"))
    assert result.category is ErrorCategory.UNKNOWN
    assert result.rule == "none"
    assert "AirflowException" in result.reason
    assert "http_status" not in result.signals
