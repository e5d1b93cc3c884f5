"""MinIO's S3 client (minio) against a scripted S3 server answering each S3 error code in its real
XML body (the status beside it says less: ``NoSuchBucket`` and ``NoSuchKey`` are both 404), a
server whose 503s outlast urllib3's retries, a refused port, and arguments the client rejects.
Written after wave 7's knowledge, and measured before any change for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import minio
import urllib3

from tests.corpus.model import C, D, Family, S, T
from tests.corpus.rawservers import serve
from tests.corpus.servers import Reply, ScriptedHTTP, free_port

NEEDS_TMP = True


def _s3_error(status: int, code: str) -> Reply:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{code} (corpus)</Message>'
        "<Resource>/landing/orders.csv</Resource><RequestId>corpus</RequestId><HostId>corpus</HostId></Error>"
    )
    return Reply(status, body, {"Content-Type": "application/xml"})


def _client(port: int, retries: Any = False) -> minio.Minio:
    http = urllib3.PoolManager(retries=retries, timeout=urllib3.Timeout(connect=2, read=5))
    return minio.Minio(
        f"127.0.0.1:{port}",
        access_key="corpus",
        secret_key="corpus-secret",
        secure=False,
        region="us-east-1",
        http_client=http,
    )


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    http = serve(closing, ScriptedHTTP())
    client = _client(http.port)

    def answer(reply: Reply, call: Any) -> Any:
        def run() -> None:
            http.next = reply
            call()

        return run

    get = lambda: client.get_object("landing", "orders.csv")  # noqa: E731
    for status, code, accept, why in (
        (404, "NoSuchBucket", C, "the bucket does not exist"),
        (404, "NoSuchKey", {C, D}, "the object is not there"),
        (403, "AccessDenied", C, "the policy does not allow it"),
        (403, "InvalidAccessKeyId", C, "the access key does not exist"),
        (403, "SignatureDoesNotMatch", C, "the secret key is wrong"),
        (403, "RequestTimeTooSkewed", {C, T}, "the client's clock is off"),
        (400, "AuthorizationHeaderMalformed", C, "the region in the signature is wrong"),
        (301, "PermanentRedirect", C, "the bucket is in another region or endpoint"),
        (503, "SlowDown", T, "the server asks to slow down"),
        (503, "ServiceUnavailable", T, "the server is unavailable"),
        (500, "InternalError", T, "a server-side error"),
        (400, "InvalidBucketName", C, "a bucket name the server refuses"),
        (400, "EntityTooLarge", D, "the object is larger than allowed"),
        (409, "BucketAlreadyOwnedByYou", {C, D}, "the bucket exists already"),
        (507, "XMinioStorageFull", S, "the MinIO server's disks are full"),
        (503, "XMinioServerNotInitialized", T, "the MinIO server is still starting"),
    ):
        family.add(code, answer(_s3_error(status, code), get), accept, why)
    retrying = _client(http.port, urllib3.Retry(total=1, backoff_factor=0, status_forcelist=[503]))
    family.add(
        "retries-exhausted",
        answer(_s3_error(503, "SlowDown"), lambda: retrying.get_object("landing", "orders.csv")),
        T,
        "503s outlasted urllib3's retries (MaxRetryError, no S3 error left)",
    )
    family.add(
        "refused",
        lambda: _client(free_port()).get_object("landing", "orders.csv"),
        T,
        "nothing listens (the server is down)",
    )
    family.add("bucket-name", lambda: client.bucket_exists("ab"), C, "a bucket name S3 forbids (too short)")
    family.add(
        "endpoint-path",
        lambda: minio.Minio("127.0.0.1:9000/s3", secure=False),
        C,
        "an endpoint with a path",
    )
    family.add(
        "upload-missing-file",
        lambda: client.fput_object("landing", "orders.csv", str(tmp / "outgoing" / "orders.csv")),
        {C, D},
        "the local file to upload is not there",
    )
