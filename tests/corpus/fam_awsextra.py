"""
AWS beyond the ``cloud`` family: errors botocore raises before a request leaves (parameter
validation, unknown service, no region), transport failures (refused, connect and read timeouts),
and service codes the ``cloud`` family does not raise: S3 object/signature/clock errors, DynamoDB
transaction conflicts and credential errors, KMS and Secrets Manager key states.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from tests.corpus.fam_cloud import _aws_json, _s3
from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import FullBacklog, serve
from tests.corpus.servers import Reply, ScriptedHTTP, free_port

_FAST = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=0.3, read_timeout=0.2)


def build(family: Family, closing: list[Any]) -> None:
    http = serve(closing, ScriptedHTTP())
    backlog = serve(closing, FullBacklog())

    def aws(service: str, url: str | None = None, **kwargs: Any) -> Any:
        options: dict[str, Any] = {
            "endpoint_url": url or http.url(),
            "region_name": "us-east-1",
            "aws_access_key_id": "corpus",
            "aws_secret_access_key": "corpus",
            "config": _FAST,
        }
        options.update(kwargs)
        return boto3.session.Session().client(service, **options)

    s3, ddb, kms, secrets = aws("s3"), aws("dynamodb"), aws("kms"), aws("secretsmanager")

    # -- before the request leaves ---------------------------------------------------------------
    family.add(
        "param-missing",
        lambda: ddb.get_item(TableName="orders"),
        {D, C},
        "ParamValidationError: a required parameter is missing (code or a record's value)",
    )
    family.add(
        "param-type",
        lambda: s3.put_object(Bucket="b", Key=1234, Body=b"x"),
        {D, C},
        "a parameter of the wrong type",
    )
    family.add(
        "unknown-service",
        lambda: boto3.session.Session().client("dynamodbb"),
        C,
        "UnknownServiceError: a typo",
    )
    family.add(
        "empty-region",
        lambda: boto3.session.Session(region_name=None).client(
            "sqs", aws_access_key_id="x", aws_secret_access_key="y", region_name=""
        ),
        C,
        "an empty region: botocore cannot build the endpoint",
    )
    family.add(
        "bad-endpoint-url",
        lambda: aws("s3", url="s3.localhost:9000"),
        C,
        "ValueError: an endpoint URL without a scheme",
    )
    # -- transport -----------------------------------------------------------------------------
    family.add(
        "endpoint-refused",
        lambda: aws("s3", url=f"http://127.0.0.1:{free_port()}").list_buckets(),
        T,
        "EndpointConnectionError: the endpoint refuses connections",
    )
    family.add(
        "connect-timeout",
        lambda: aws("s3", url=f"http://127.0.0.1:{backlog.port}").list_buckets(),
        T,
        "ConnectTimeoutError",
    )
    family.add("read-timeout", lambda: aws("s3", url=http.url("/slow")).list_buckets(), T, "ReadTimeoutError")

    def answer(reply: Reply, call: Any) -> Any:
        def run() -> None:
            http.next = reply
            call()

        return run

    get_object = lambda: s3.get_object(Bucket="lake", Key="2026/11/30/orders.parquet")  # noqa: E731
    put_object = lambda: s3.put_object(Bucket="lake", Key="x", Body=b"x")  # noqa: E731
    get_item = lambda: ddb.get_item(TableName="orders", Key={"id": {"S": "1"}})  # noqa: E731
    decrypt = lambda: kms.decrypt(CiphertextBlob=b"x" * 32)  # noqa: E731
    secret = lambda: secrets.get_secret_value(SecretId="etl/warehouse")  # noqa: E731
    cases = [
        (
            "s3-no-key",
            _s3(404, "NoSuchKey", "The specified key does not exist."),
            get_object,
            {C, D},
            "no such object",
        ),
        (
            "s3-access-denied",
            _s3(403, "AccessDenied", "Access Denied"),
            get_object,
            C,
            "the role lacks s3:GetObject",
        ),
        (
            "s3-bad-key-id",
            _s3(403, "InvalidAccessKeyId", "The key id does not exist"),
            get_object,
            C,
            "wrong key id",
        ),
        (
            "s3-signature",
            _s3(403, "SignatureDoesNotMatch", "Signature mismatch"),
            put_object,
            C,
            "wrong secret key",
        ),
        (
            "s3-clock-skew",
            _s3(403, "RequestTimeTooSkewed", "Time too skewed"),
            put_object,
            {C, S},
            "host clock off",
        ),
        (
            "s3-internal",
            _s3(500, "InternalError", "We encountered an internal error"),
            put_object,
            T,
            "S3 500",
        ),
        (
            "s3-precondition",
            _s3(412, "PreconditionFailed", "At least one precondition failed"),
            put_object,
            {D, T},
            "ETag changed",
        ),
        (
            "s3-too-large",
            _s3(400, "EntityTooLarge", "Your proposed upload exceeds the maximum"),
            put_object,
            D,
            "too large",
        ),
        (
            "s3-expired-token",
            _s3(400, "ExpiredToken", "The provided token has expired."),
            get_object,
            C,
            "stale session",
        ),
        (
            "ddb-transaction-conflict",
            _aws_json(400, "dynamodb", "TransactionConflictException", "Transaction is ongoing for the item"),
            get_item,
            T,
            "another transaction holds the item",
        ),
        (
            "ddb-unrecognized-client",
            _aws_json(400, "dynamodb", "UnrecognizedClientException", "The security token is invalid"),
            get_item,
            C,
            "invalid credentials",
        ),
        (
            "ddb-expired-token",
            _aws_json(400, "dynamodb", "ExpiredTokenException", "The security token has expired"),
            get_item,
            C,
            "expired credentials",
        ),
        (
            "ddb-internal",
            _aws_json(500, "dynamodb", "InternalServerError", "Internal server error"),
            get_item,
            T,
            "DynamoDB 500",
        ),
        (
            "ddb-resource-in-use",
            _aws_json(400, "dynamodb", "ResourceInUseException", "Table is being created"),
            get_item,
            {T, C},
            "the table is being created or updated",
        ),
        (
            "ddb-item-too-large",
            _aws_json(
                400, "dynamodb", "ItemCollectionSizeLimitExceededException", "Collection size exceeded"
            ),
            get_item,
            {D, S},
            "an item collection is over its size limit",
        ),
        (
            "kms-disabled",
            _aws_json(400, "kms", "DisabledException", "arn:aws:kms:... is disabled"),
            decrypt,
            C,
            "the KMS key is disabled",
        ),
        (
            "kms-invalid-ciphertext",
            _aws_json(400, "kms", "InvalidCiphertextException", "Invalid ciphertext"),
            decrypt,
            D,
            "the ciphertext is corrupt",
        ),
        (
            "kms-throttled",
            _aws_json(400, "kms", "ThrottlingException", "Rate exceeded"),
            decrypt,
            T,
            "KMS throttling",
        ),
        (
            "secrets-decryption",
            _aws_json(400, "secretsmanager", "DecryptionFailure", "Secrets Manager can't decrypt"),
            secret,
            C,
            "the KMS key of the secret is not usable by this role",
        ),
        (
            "secrets-access",
            _aws_json(400, "secretsmanager", "AccessDeniedException", "not authorized"),
            secret,
            C,
            "the role may not read the secret",
        ),
        (
            "secrets-invalid-request",
            _aws_json(400, "secretsmanager", "InvalidRequestException", "secret is scheduled for deletion"),
            secret,
            {C, D},
            "the secret is marked for deletion, or the request does not fit its state",
        ),
    ]
    for name, reply, call, accept, why in cases:
        family.add(name, answer(reply, call), accept, why)
