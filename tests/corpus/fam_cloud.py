"""
Cloud SDK errors from live HTTP responses of a scripted loopback server: botocore clients
(DynamoDB, SQS, Kinesis, STS, Lambda, Secrets Manager, S3) pointed at it with ``endpoint_url``;
google-api-core's ``from_http_response`` on the JSON errors GCS and BigQuery send (what
google-cloud-core's connection raises); azure-core's ``HttpResponseError`` family on responses with
Azure Storage's ``x-ms-error-code`` header.
"""

from __future__ import annotations

from typing import Any

import boto3
import requests
from azure.core import PipelineClient
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    map_error,
)
from azure.core.rest import HttpRequest
from botocore.config import Config
from google.api_core import exceptions as google_exceptions

from tests.corpus.model import C, D, Family, T
from tests.corpus.servers import Reply, ScriptedHTTP

_NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=5)


def _aws_json(status: int, service: str, code: str, message: str, query_code: str | None = None) -> Reply:
    headers = {"x-amzn-RequestId": "corpus", "Content-Type": "application/x-amz-json-1.0"}
    if query_code:
        headers["x-amzn-query-error"] = f"{query_code};Sender"
    return Reply(status, {"__type": f"com.amazonaws.{service}#{code}", "message": message}, headers)


def _aws_query(status: int, code: str, message: str) -> Reply:
    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>c</RequestId></ErrorResponse>"
    )
    return Reply(status, body, {"Content-Type": "text/xml"})


def _rest_json(status: int, code: str, message: str) -> Reply:
    return Reply(
        status, {"message": message, "Type": "User"}, {"x-amzn-ErrorType": f"{code}:http://internal"}
    )


def _s3(status: int, code: str, message: str) -> Reply:
    body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>c</RequestId></Error>"
    return Reply(status, body, {"Content-Type": "application/xml"})


def _google(status: int, reason: str, message: str, state: str) -> Reply:
    errors = [{"message": message, "domain": "global", "reason": reason}]
    return Reply(status, {"error": {"code": status, "message": message, "errors": errors, "status": state}})


def _azure(status: int, code: str, message: str) -> Reply:
    body = f'<?xml version="1.0"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Reply(status, body, {"x-ms-error-code": code, "Content-Type": "application/xml"})


def build(family: Family, closing: list[Any]) -> None:
    http = ScriptedHTTP()
    closing.append(http.close)

    def aws(service: str) -> Any:
        return boto3.session.Session().client(
            service,
            endpoint_url=http.url(),
            region_name="us-east-1",
            aws_access_key_id="corpus",
            aws_secret_access_key="corpus",
            config=_NO_RETRY,
        )

    def answer(reply: Reply, call: Any) -> Any:
        def run() -> None:
            http.next = reply
            call()

        return run

    ddb, sqs, kinesis, sts = aws("dynamodb"), aws("sqs"), aws("kinesis"), aws("sts")
    lam, secrets, s3 = aws("lambda"), aws("secretsmanager"), aws("s3")
    get_item = lambda: ddb.get_item(TableName="orders", Key={"id": {"S": "1"}})  # noqa: E731
    send = lambda: sqs.send_message(QueueUrl=http.url("/123/orders"), MessageBody="x")  # noqa: E731
    put = lambda: kinesis.put_record(StreamName="events", Data=b"x", PartitionKey="k")  # noqa: E731
    cases = [
        (
            "ddb-throughput",
            _aws_json(400, "dynamodb", "ProvisionedThroughputExceededException", "Rate exceeded"),
            get_item,
            T,
            "DynamoDB provisioned throughput exceeded: throttling",
        ),
        (
            "ddb-throttling",
            _aws_json(400, "dynamodb", "ThrottlingException", "Rate of requests exceeds"),
            get_item,
            T,
            "throttling",
        ),
        (
            "ddb-limit",
            _aws_json(400, "dynamodb", "RequestLimitExceeded", "Throughput exceeds the account limit"),
            get_item,
            T,
            "account request limit: throttling",
        ),
        (
            "ddb-no-table",
            _aws_json(400, "dynamodb", "ResourceNotFoundException", "Requested resource not found"),
            get_item,
            C,
            "the table does not exist: configuration",
        ),
        (
            "ddb-validation",
            _aws_json(400, "dynamodb", "ValidationException", "One or more parameter values were invalid"),
            get_item,
            D,
            "the item was rejected: data",
        ),
        (
            "ddb-conditional",
            _aws_json(400, "dynamodb", "ConditionalCheckFailedException", "The conditional request failed"),
            get_item,
            D,
            "conditional check failed",
        ),
        (
            "ddb-unavailable",
            _aws_json(503, "dynamodb", "ServiceUnavailable", "Service unavailable"),
            get_item,
            T,
            "503",
        ),
        (
            "ddb-access",
            _aws_json(400, "dynamodb", "AccessDeniedException", "not authorized to perform"),
            get_item,
            C,
            "IAM denies the call",
        ),
        (
            "sqs-no-queue",
            _aws_json(
                400,
                "sqs",
                "QueueDoesNotExist",
                "The specified queue does not exist.",
                "AWS.SimpleQueueService.NonExistentQueue",
            ),
            send,
            C,
            "the queue does not exist: configuration",
        ),
        (
            "sqs-throttled",
            _aws_json(400, "sqs", "RequestThrottled", "Request is throttled.", "RequestThrottled"),
            send,
            T,
            "throttling",
        ),
        (
            "sqs-overlimit",
            _aws_json(403, "sqs", "OverLimit", "too many inflight messages", "OverLimit"),
            send,
            T,
            "in-flight limit reached: retry later",
        ),
        (
            "sqs-bad-message",
            _aws_json(
                400, "sqs", "InvalidMessageContents", "Invalid characters found", "InvalidMessageContents"
            ),
            send,
            D,
            "the message body is invalid",
        ),
        (
            "sqs-kms-throttled",
            _aws_json(400, "sqs", "KmsThrottled", "KMS throttled", "KMS.ThrottlingException"),
            send,
            T,
            "KMS throttling",
        ),
        (
            "kinesis-throughput",
            _aws_json(400, "kinesis", "ProvisionedThroughputExceededException", "Rate exceeded for shard"),
            put,
            T,
            "shard throughput exceeded",
        ),
        (
            "kinesis-no-stream",
            _aws_json(400, "kinesis", "ResourceNotFoundException", "Stream events not found"),
            put,
            C,
            "the stream does not exist",
        ),
        (
            "kinesis-kms-throttling",
            _aws_json(400, "kinesis", "KMSThrottlingException", "KMS throttled"),
            put,
            T,
            "KMS throttling",
        ),
        (
            "kinesis-invalid",
            _aws_json(400, "kinesis", "InvalidArgumentException", "Partition key too long"),
            put,
            D,
            "argument rejected",
        ),
        (
            "sts-expired",
            _aws_query(400, "ExpiredToken", "The security token included in the request is expired"),
            sts.get_caller_identity,
            C,
            "expired credentials",
        ),
        (
            "sts-denied",
            _aws_query(403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole"),
            lambda: sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="corpus"),
            C,
            "not allowed to assume the role",
        ),
        (
            "sts-region-disabled",
            _aws_query(403, "RegionDisabledException", "STS is not activated in this region"),
            sts.get_caller_identity,
            C,
            "STS disabled in the region",
        ),
        (
            "sts-throttling",
            _aws_query(400, "Throttling", "Rate exceeded"),
            sts.get_caller_identity,
            T,
            "throttling",
        ),
        (
            "lambda-too-many",
            _rest_json(429, "TooManyRequestsException", "Rate Exceeded."),
            lambda: lam.invoke(FunctionName="f"),
            T,
            "Lambda concurrency throttling",
        ),
        (
            "lambda-no-function",
            _rest_json(404, "ResourceNotFoundException", "Function not found"),
            lambda: lam.invoke(FunctionName="f"),
            C,
            "the function does not exist",
        ),
        (
            "lambda-service",
            _rest_json(500, "ServiceException", "internal"),
            lambda: lam.invoke(FunctionName="f"),
            T,
            "Lambda internal error",
        ),
        (
            "secrets-missing",
            _aws_json(
                400,
                "secretsmanager",
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret.",
            ),
            lambda: secrets.get_secret_value(SecretId="db"),
            C,
            "the secret does not exist",
        ),
        (
            "s3-no-bucket",
            _s3(404, "NoSuchBucket", "The specified bucket does not exist"),
            lambda: s3.get_object(Bucket="corpus", Key="k"),
            C,
            "the bucket does not exist",
        ),
        (
            "s3-slowdown",
            _s3(503, "SlowDown", "Please reduce your request rate."),
            lambda: s3.get_object(Bucket="corpus", Key="k"),
            T,
            "S3 throttling",
        ),
    ]
    for name, reply, call, accept, why in cases:
        family.add(name, answer(reply, call), accept, why)

    def google_call(reply: Reply) -> Any:
        def run() -> None:
            http.next = reply
            response = requests.get(http.url("/storage/v1/b/corpus"), timeout=5)
            if response.status_code >= 400:
                raise google_exceptions.from_http_response(response)

        return run

    for name, reply, accept, why in (
        (
            "gcs-no-bucket",
            _google(404, "notFound", "The specified bucket does not exist.", "NOT_FOUND"),
            C,
            "GCS bucket missing",
        ),
        (
            "gcs-rate",
            _google(
                429,
                "rateLimitExceeded",
                "The rate of change requests to the object exceeds",
                "RESOURCE_EXHAUSTED",
            ),
            T,
            "GCS rate limit",
        ),
        (
            "gcs-forbidden",
            _google(
                403, "forbidden", "svc@x.iam does not have storage.objects.get access", "PERMISSION_DENIED"
            ),
            C,
            "IAM denies the read",
        ),
        (
            "gcs-unauthenticated",
            _google(401, "required", "Anonymous caller does not have access", "UNAUTHENTICATED"),
            C,
            "no credentials",
        ),
        ("gcs-backend", _google(503, "backendError", "Backend Error", "UNAVAILABLE"), T, "GCS backend error"),
        (
            "bq-quota",
            _google(403, "quotaExceeded", "Quota exceeded: Your table exceeded quota for imports", ""),
            T,
            "BigQuery quota: a 403 that is throttling, not a permission problem",
        ),
        (
            "bq-rate",
            _google(403, "rateLimitExceeded", "Exceeded rate limits: too many table update operations", ""),
            T,
            "BigQuery rate limit on a 403",
        ),
        (
            "bq-no-table",
            _google(404, "notFound", "Not found: Table proj:ds.orders was not found in location US", ""),
            C,
            "the table does not exist",
        ),
        (
            "bq-invalid-query",
            _google(400, "invalidQuery", "Unrecognized name: customer_id at [1:8]", ""),
            {C, D},
            "the query does not match the schema",
        ),
        (
            "bq-invalid-row",
            _google(
                400,
                "invalid",
                "Error while reading data, error message: CSV table encountered too many errors",
                "",
            ),
            D,
            "the loaded rows are invalid",
        ),
        (
            "bq-backend",
            _google(500, "backendError", "Backend error. Job aborted.", ""),
            T,
            "BigQuery backend",
        ),
    ):
        family.add(name, google_call(reply), accept, why)

    client = PipelineClient(base_url=http.url())
    storage_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}

    def azure_call(reply: Reply) -> Any:
        def run() -> None:
            http.next = reply
            response = client.send_request(HttpRequest("GET", http.url("/container/blob")))
            if response.status_code >= 400:
                code = response.headers.get("x-ms-error-code")
                try:
                    map_error(response.status_code, response, storage_map)
                    raise HttpResponseError(response=response)
                except HttpResponseError as error:  # what azure-storage's process_storage_error adds
                    error.error_code = code
                    raise

        return run

    for name, reply, accept, why in (
        (
            "azure-server-busy",
            _azure(503, "ServerBusy", "The server is currently unable to receive requests."),
            T,
            "storage throttling",
        ),
        (
            "azure-timeout",
            _azure(
                500, "OperationTimedOut", "The operation could not be completed within the permitted time."
            ),
            T,
            "server timeout",
        ),
        (
            "azure-no-container",
            _azure(404, "ContainerNotFound", "The specified container does not exist."),
            C,
            "the container does not exist",
        ),
        (
            "azure-auth",
            _azure(403, "AuthenticationFailed", "Server failed to authenticate the request."),
            C,
            "bad account key or SAS",
        ),
        (
            "azure-permission",
            _azure(403, "AuthorizationPermissionMismatch", "This request is not authorized"),
            C,
            "the identity lacks the role",
        ),
        (
            "azure-invalid",
            _azure(
                400,
                "InvalidHeaderValue",
                "The value for one of the HTTP headers is not in the correct format.",
            ),
            {D, C},
            "the request was rejected",
        ),
        (
            "azure-exists",
            _azure(409, "BlobAlreadyExists", "The specified blob already exists."),
            D,
            "conflict",
        ),
    ):
        family.add(name, azure_call(reply), accept, why)
