"""
Built-in knowledge of lightweight messaging clients, by dotted path (never imported): NATS
(nats-py core and JetStream) and MQTT (paho-mqtt). Merged into :data:`~.knowledge_types.TYPES`.

JetStream API errors also carry the server's ``err_code`` (read as ``nats:<err_code>``, listed in
:mod:`.knowledge_services`); the HTTP-like ``code`` they carry says less. A refused CONNECT reaches
the caller as the protocol's reason text only (nats-py's ``Error("nats: 'Authorization
Violation'")``, paho's ``MQTTException("Not authorized")``): those reasons are a closed vocabulary,
listed in :mod:`.knowledge_messages`.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, T


def _many(module: str, names: str, entry: Entry) -> dict[str, Entry]:
    return {f"{module}.{name}": entry for name in names.split()}


_NATS = "nats.errors"
_JS = "nats.js.errors"

MESSAGING_TYPES: dict[str, Entry] = {
    # --- NATS core ------------------------------------------------------------------------------
    **_many(_NATS, "NoServersError", (T, 0.9, "means no NATS server accepted a connection")),
    **_many(_NATS, "NoRespondersError", (T, 0.75, "means no service answers on the subject (it is down?)")),
    **_many(_NATS, "StaleConnectionError UnexpectedEOF", (T, 0.9, "means the NATS connection dropped")),
    **_many(_NATS, "SlowConsumerError", (T, 0.8, "means the consumer fell behind the server")),
    **_many(_NATS, "BadSubjectError", (C, 0.9, "means the subject is not a valid NATS subject")),
    **_many(
        _NATS,
        "AuthorizationError SecureConnRequiredError SecureConnWantedError SecureConnFailedError",
        (C, 0.93, "means the NATS server refused the credentials or the connection security"),
    ),
    **_many(_NATS, "MaxPayloadError", (D, 0.85, "means the message is larger than the server's max_payload")),
    **_many(_NATS, "BadTimeoutError InvalidCallbackTypeError", (C, 0.85, "is a client usage error")),
    # --- NATS JetStream -------------------------------------------------------------------------
    **_many(_JS, "BucketNotFoundError", (C, 0.9, "means the key-value or object bucket does not exist")),
    **_many(_JS, "NoStreamResponseError", (C, 0.8, "means no JetStream stream takes the subject")),
    **_many(_JS, "KeyNotFoundError KeyDeletedError", (D, 0.85, "means the key is not in the bucket")),
    **_many(
        _JS, "InvalidKeyError InvalidBucketNameError", (D, 0.8, "means a key or bucket name is not valid")
    ),
    **_many(
        _JS,
        "KeyWrongLastSequenceError",
        (T, 0.8, "means another writer changed the key first: re-read and retry"),
    ),
    **_many(_JS, "ServiceUnavailableError", (T, 0.85, "means JetStream is unavailable or at a limit")),
    **_many(_JS, "ServerError", (T, 0.75, "is a JetStream server-side error")),
    **_many(_JS, "NotFoundError", (C, 0.8, "means the JetStream stream or consumer does not exist")),
    **_many(_JS, "BadRequestError", (C, 0.7, "means JetStream rejected the request")),
    # --- MQTT (paho-mqtt) -----------------------------------------------------------------------
    "paho.mqtt.client.WebsocketConnectionError": (T, 0.85, "means the MQTT WebSocket connection failed"),
}


#: JetStream API ``err_code`` values (nats-server's error registry), keyed ``nats:<err_code>``;
#: merged into :data:`~.knowledge_cloud.CLOUD_CODE`, where a service code outranks the HTTP-like
#: ``code`` (a 400 or 404) the same error carries.
NATS_CODE: dict[str, Entry] = {
    **{
        f"nats:{code}": (C, 0.92, "means the JetStream stream, consumer or account setup is wrong")
        for code in (10059, 10014, 10065, 10058, 10039, 10076, 10060, 10052)
    },
    **{
        f"nats:{code}": (T, 0.88, "means another writer got there first (expected sequence or id): retry")
        for code in (10071, 10070)
    },
    **{
        f"nats:{code}": (T, 0.85, "means JetStream is unavailable, out of resources or at a stream limit")
        for code in (10008, 10023, 10077)
    },
    "nats:10037": (D, 0.8, "means no message matches the request"),
    "nats:10054": (D, 0.9, "means the message is larger than the stream allows"),
}

#: google-auth's own judgment that a refresh failure is worth retrying (``RefreshError.retryable``:
#: the token endpoint answered 5xx or 429, or an error body it treats as temporary).
GOOGLE_AUTH_CODE: dict[str, Entry] = {
    "google-auth:retryable": (
        T,
        0.97,
        "means the token endpoint failed temporarily (google-auth marks it retryable)",
    ),
}
