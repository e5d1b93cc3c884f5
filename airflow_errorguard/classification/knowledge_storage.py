"""
Built-in knowledge of S3-compatible storage codes beyond AWS's own list: the S3 codes MinIO and
other S3 servers send that the botocore table does not carry, and MinIO's ``XMinio*`` codes. The
code is read from botocore's ``Error.Code`` or minio's ``S3Error.code``; merged into
:data:`~.knowledge_cloud.CLOUD_CODE`, where a service code outranks the HTTP status.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T


def _codes(names: str, entry: Entry) -> dict[str, Entry]:
    return dict.fromkeys(names.split(), entry)


STORAGE_CODE: dict[str, Entry] = {
    **_codes(
        "AuthorizationHeaderMalformed PermanentRedirect IllegalLocationConstraintException "
        "InvalidRegion XMinioInvalidRegion BucketAlreadyExists",
        (C, 0.9, "means the region, endpoint or bucket setting is wrong"),
    ),
    "BucketAlreadyOwnedByYou": (C, 0.75, "means the bucket exists already (the setup creates it twice)"),
    **_codes(
        "TemporaryRedirect XMinioServerNotInitialized XMinioBackendDown XMinioReadQuorum XMinioWriteQuorum "
        "XMinioOperationTimedOut",
        (T, 0.9, "means the storage server is starting, degraded or redirecting for now"),
    ),
    **_codes("XMinioStorageFull XMinioDiskFull", (S, 0.92, "means the storage server's disks are full")),
    **_codes(
        "XMinioInvalidObjectName XMinioObjectTooLarge",
        (D, 0.85, "means the object's name or size is refused"),
    ),
}
