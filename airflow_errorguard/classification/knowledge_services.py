"""
Built-in knowledge of the error codes data-platform and SaaS services put in their error bodies,
read by :func:`~airflow_errorguard.classification.service_codes.service_code` and keyed
``<service>:<code>`` so that one service's word never means another's: Elasticsearch/OpenSearch
``error.type``, Kubernetes ``Status.reason``, Slack's ``error``, OpenAI's ``code``/``type``, Notion's
``code``, Trino's ``errorName``, ClickHouse's error name, WebSocket close codes (RFC 6455), SSH
channel-open and disconnect reasons (RFC 4254, 4253) and OAuth 2 ``error`` codes (RFC 6749). Merged into
:data:`~.knowledge_cloud.CLOUD_CODE`; like every service code, an entry outranks the HTTP status it
arrived with (Slack answers ``200`` with ``"ok": false``).
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T


def _keyed(service: str, codes: str, entry: Entry) -> dict[str, Entry]:
    return {f"{service}:{code}": entry for code in codes.split()}


_MISSING: Entry = (
    C,
    0.9,
    "means the index, object, model or table named does not exist (a wrong name or setup)",
)
_DENIED: Entry = (C, 0.95, "means the credentials are missing, invalid or lack the permission")
_INVALID_REQUEST: Entry = (C, 0.85, "means the request itself is malformed (the query or call, not a record)")
_BAD_RECORD: Entry = (D, 0.88, "means a record or value was rejected")
_BUSY: Entry = (T, 0.92, "means the service is overloaded, rate limiting or briefly unavailable")
_CONCURRENT: Entry = (T, 0.85, "is a concurrent-modification conflict: read again and retry")

SERVICE_CODE: dict[str, Entry] = {
    # Elasticsearch / OpenSearch: the body's error.type (the Java exception, snake-cased).
    **_keyed(
        "es",
        "index_not_found_exception resource_not_found_exception no_such_index_exception "
        "repository_missing_exception snapshot_missing_exception",
        _MISSING,
    ),
    **_keyed("es", "security_exception authentication_exception", _DENIED),
    **_keyed(
        "es",
        "parsing_exception query_shard_exception x_content_parse_exception illegal_argument_exception "
        "action_request_validation_exception search_parse_exception",
        _INVALID_REQUEST,
    ),
    **_keyed(
        "es",
        "mapper_parsing_exception document_parsing_exception strict_dynamic_mapping_exception "
        "illegal_state_exception number_format_exception",
        _BAD_RECORD,
    ),
    **_keyed(
        "es",
        "es_rejected_execution_exception rejected_execution_exception circuit_breaking_exception "
        "no_shard_available_action_exception unavailable_shards_exception "
        "process_cluster_event_timeout_exception master_not_discovered_exception "
        "node_not_connected_exception receive_timeout_transport_exception",
        _BUSY,
    ),
    **_keyed("es", "version_conflict_engine_exception", _CONCURRENT),
    # A read-only block: the flood-stage disk watermark, or an operator's block on the index.
    **_keyed(
        "es",
        "cluster_block_exception",
        (S, 0.8, "means the cluster blocks writes (disk full, or an operator)"),
    ),
    **_keyed("es", "resource_already_exists_exception", (D, 0.8, "means the index already exists")),
    # Kubernetes: metav1.Status.reason.
    **_keyed("k8s", "NotFound", _MISSING),
    **_keyed("k8s", "Unauthorized Forbidden", _DENIED),
    **_keyed("k8s", "Conflict", _CONCURRENT),
    **_keyed(
        "k8s",
        "Expired Gone",
        (T, 0.85, "means the watch or list resource version expired: list again and retry"),
    ),
    **_keyed(
        "k8s",
        "TooManyRequests ServerTimeout Timeout InternalError ServiceUnavailable",
        _BUSY,
    ),
    **_keyed("k8s", "AlreadyExists", (D, 0.8, "means the object already exists")),
    **_keyed("k8s", "Invalid RequestEntityTooLarge", (D, 0.85, "means the object's spec was rejected")),
    **_keyed("k8s", "BadRequest MethodNotAllowed UnsupportedMediaType NotAcceptable", _INVALID_REQUEST),
    # Slack Web API: {"ok": false, "error": "..."}.
    **_keyed(
        "slack",
        "channel_not_found user_not_found team_not_found file_not_found message_not_found",
        _MISSING,
    ),
    **_keyed(
        "slack",
        "invalid_auth not_authed token_revoked token_expired account_inactive missing_scope no_permission "
        "not_in_channel is_archived restricted_action ekm_access_denied not_allowed_token_type "
        "org_login_required team_access_not_granted access_denied",
        _DENIED,
    ),
    **_keyed(
        "slack",
        "msg_too_long no_text too_many_attachments invalid_blocks invalid_blocks_format "
        "invalid_attachments too_many_blocks",
        _BAD_RECORD,
    ),
    **_keyed(
        "slack",
        "invalid_arguments invalid_arg_name invalid_array_arg invalid_charset invalid_form_data "
        "invalid_post_type missing_post_type method_deprecated deprecated_endpoint",
        _INVALID_REQUEST,
    ),
    **_keyed(
        "slack",
        "ratelimited rate_limited internal_error fatal_error service_unavailable request_timeout "
        "team_added_to_org",
        _BUSY,
    ),
    # OpenAI-compatible APIs (openai, and servers that speak its error format): error.code / .type.
    **_keyed(
        "openai",
        "insufficient_quota billing_hard_limit_reached billing_not_active access_terminated",
        (C, 0.95, "means the account's quota or billing is exhausted: retrying never helps"),
    ),
    **_keyed(
        "openai",
        "invalid_api_key authentication_error permission_error unsupported_country_region_territory",
        _DENIED,
    ),
    **_keyed("openai", "model_not_found not_found_error", _MISSING),
    **_keyed(
        "openai",
        "context_length_exceeded string_above_max_length content_policy_violation invalid_image",
        _BAD_RECORD,
    ),
    **_keyed("openai", "rate_limit_exceeded rate_limit_error overloaded_error server_error api_error", _BUSY),
    # Notion API: the body's ``code`` (developers.notion.com/reference/status-codes).
    **_keyed("notion", "unauthorized restricted_resource invalid_grant", _DENIED),
    **_keyed("notion", "object_not_found", _MISSING),
    **_keyed("notion", "invalid_json invalid_request_url invalid_request missing_version", _INVALID_REQUEST),
    **_keyed("notion", "validation_error", _BAD_RECORD),
    **_keyed("notion", "conflict_error", _CONCURRENT),
    **_keyed(
        "notion",
        "rate_limited internal_server_error bad_gateway service_unavailable "
        "database_connection_unavailable gateway_timeout",
        _BUSY,
    ),
    # Trino / Presto: QueryError.errorName (the error type decides unknown names, by class).
    **_keyed(
        "trino",
        "TABLE_NOT_FOUND COLUMN_NOT_FOUND SCHEMA_NOT_FOUND CATALOG_NOT_FOUND FUNCTION_NOT_FOUND "
        "MISSING_CATALOG_NAME MISSING_SCHEMA_NAME TYPE_NOT_FOUND",
        _MISSING,
    ),
    **_keyed("trino", "PERMISSION_DENIED", _DENIED),
    **_keyed(
        "trino",
        "SYNTAX_ERROR TYPE_MISMATCH NOT_SUPPORTED AMBIGUOUS_NAME MISSING_GROUP_BY FUNCTION_NOT_AGGREGATE "
        "INVALID_COLUMN_REFERENCE EXPRESSION_NOT_AGGREGATE MISMATCHED_COLUMN_ALIASES NOT_FOUND",
        _INVALID_REQUEST,
    ),
    **_keyed(
        "trino",
        "DIVISION_BY_ZERO INVALID_CAST_ARGUMENT NUMERIC_VALUE_OUT_OF_RANGE INVALID_FUNCTION_ARGUMENT "
        "CONSTRAINT_VIOLATION INVALID_LITERAL INVALID_ARGUMENTS EXCEEDED_FUNCTION_MEMORY_LIMIT "
        "DUPLICATE_KEY INVALID_JSON_LITERAL",
        _BAD_RECORD,
    ),
    **_keyed(
        "trino",
        "EXCEEDED_GLOBAL_MEMORY_LIMIT EXCEEDED_LOCAL_MEMORY_LIMIT EXCEEDED_SPILL_LIMIT CLUSTER_OUT_OF_MEMORY "
        "EXCEEDED_TIME_LIMIT EXCEEDED_CPU_LIMIT QUERY_QUEUE_FULL QUERY_REJECTED",
        (T, 0.8, "means the cluster lacks resources for the query now (memory, time, queue)"),
    ),
    **_keyed(
        "trino",
        "NO_NODES_AVAILABLE REMOTE_TASK_ERROR REMOTE_HOST_GONE REMOTE_TASK_MISMATCH SERVER_SHUTTING_DOWN "
        "SERVER_STARTING_UP PAGE_TRANSPORT_TIMEOUT PAGE_TRANSPORT_ERROR TOO_MANY_REQUESTS_FAILED "
        "ABANDONED_QUERY GENERIC_INSUFFICIENT_RESOURCES",
        _BUSY,
    ),
    # ClickHouse: the error name (clickhouse-connect's ``name``; the server text's ``(UNKNOWN_TABLE)``).
    **_keyed(
        "clickhouse",
        "UNKNOWN_TABLE UNKNOWN_DATABASE UNKNOWN_IDENTIFIER UNKNOWN_FUNCTION UNKNOWN_SETTING UNKNOWN_TYPE "
        "NO_SUCH_COLUMN_IN_TABLE THERE_IS_NO_COLUMN UNKNOWN_STORAGE UNKNOWN_CLUSTER UNKNOWN_DICTIONARY",
        _MISSING,
    ),
    **_keyed(
        "clickhouse",
        "AUTHENTICATION_FAILED ACCESS_DENIED REQUIRED_PASSWORD WRONG_PASSWORD UNKNOWN_USER READONLY "
        "NOT_ENOUGH_PRIVILEGES IP_ADDRESS_NOT_ALLOWED",
        _DENIED,
    ),
    **_keyed(
        "clickhouse",
        "SYNTAX_ERROR ILLEGAL_TYPE_OF_ARGUMENT NUMBER_OF_ARGUMENTS_DOESNT_MATCH NOT_AN_AGGREGATE "
        "ILLEGAL_AGGREGATION AMBIGUOUS_COLUMN_NAME UNSUPPORTED_METHOD NOT_IMPLEMENTED BAD_ARGUMENTS "
        "TYPE_MISMATCH ILLEGAL_COLUMN DUPLICATE_COLUMN UNKNOWN_FORMAT",
        _INVALID_REQUEST,
    ),
    **_keyed(
        "clickhouse",
        "CANNOT_PARSE_INPUT_ASSERTION_FAILED CANNOT_PARSE_TEXT CANNOT_PARSE_NUMBER CANNOT_PARSE_DATE "
        "CANNOT_PARSE_DATETIME CANNOT_PARSE_QUOTED_STRING CANNOT_PARSE_ESCAPE_SEQUENCE CANNOT_PARSE_UUID "
        "CANNOT_PARSE_BOOL INCORRECT_DATA VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE ILLEGAL_DIVISION "
        "ARGUMENT_OUT_OF_BOUND TOO_LARGE_STRING_SIZE INCORRECT_NUMBER_OF_COLUMNS VIOLATED_CONSTRAINT "
        "CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN CANNOT_CONVERT_TYPE",
        _BAD_RECORD,
    ),
    **_keyed(
        "clickhouse",
        "TOO_MANY_SIMULTANEOUS_QUERIES TIMEOUT_EXCEEDED TOO_MANY_PARTS KEEPER_EXCEPTION NETWORK_ERROR "
        "SOCKET_TIMEOUT ALL_CONNECTION_TRIES_FAILED ALL_REPLICAS_ARE_STALE TABLE_IS_READ_ONLY NO_ZOOKEEPER "
        "DEADLOCK_AVOIDED CANNOT_SCHEDULE_TASK MEMORY_LIMIT_EXCEEDED QUERY_WAS_CANCELLED ABORTED "
        "TOO_MANY_QUERIES UNEXPECTED_PACKET_FROM_SERVER",
        _BUSY,
    ),
    **_keyed(
        "clickhouse",
        "NOT_ENOUGH_SPACE CANNOT_ALLOCATE_MEMORY CORRUPTED_DATA CHECKSUM_DOESNT_MATCH",
        (S, 0.88, "means the server is out of disk or memory, or found corrupt data"),
    ),
    # Kafka protocol error codes (kafka-python, aiokafka keep them in ``errno``). Above every errno
    # entry's confidence: the same number read as an operating-system errno means something else.
    **_keyed(
        "kafka",
        "5 6 7 8 9 11 13 14 15 16 19 20 22 25 27 41 51 56 70 71 74 75 79 80 89 100",
        (T, 0.96, "is a broker-side condition Kafka marks retriable (leader election, rebalance, timeout)"),
    ),
    **_keyed(
        "kafka",
        "3 29 30 31 53 58 33 34 35 17 21 24 26 37 38 39 40 42 43 44 1 4 57 72",
        (C, 0.96, "means the topic, group, ACLs, SASL or a client/topic setting is wrong"),
    ),
    **_keyed(
        "kafka",
        "2 10 12 18 32 36 87",
        (D, 0.96, "means a record or batch was rejected (too large, corrupt, bad timestamp) or exists"),
    ),
    # A code newer than this table, which the client marks retriable (its ``retriable`` flag).
    "kafka:retriable": (T, 0.9, "is a broker-side condition the Kafka client marks retriable"),
    # WebSocket close codes the peer sent (RFC 6455 7.4.1, IANA registry).
    **_keyed(
        "websocket",
        "1001 1011 1012 1013 1014",
        (T, 0.88, "means the peer is going away, restarting, overloaded or failed internally: reconnect"),
    ),
    **_keyed(
        "websocket", "1003 1007 1009", (D, 0.8, "means the peer refused a message's type, encoding or size")
    ),
    **_keyed(
        "websocket", "1002 1010", (C, 0.8, "means the two ends disagree on the protocol or its extensions")
    ),
    **_keyed(
        "websocket", "1008", (C, 0.8, "means the peer refused the session by policy (auth, topic, origin)")
    ),
    **_keyed("websocket", "1015", (C, 0.85, "means the TLS handshake failed")),
    # SSH channel-open failures (RFC 4254 5.1), paramiko's ChannelException.code.
    **_keyed(
        "ssh-channel", "1 3", (C, 0.9, "means the SSH server refuses this kind of channel (forwarding off)")
    ),
    # 2 (CONNECT_FAILED) is a forwarded target that is down *or* a refused session (asyncssh's server
    # sends it for both): not listed, so the class and the server's reason text decide.
    **_keyed("ssh-channel", "4", (T, 0.85, "means the SSH server is short of resources")),
    # SSH disconnect reasons (RFC 4253 11.1), asyncssh's DisconnectError.code.
    **_keyed(
        "ssh-disconnect",
        "1 3 7 8 9 13 14 15",
        (C, 0.92, "means the SSH server refused this client, its keys, host key or credentials"),
    ),
    **_keyed(
        "ssh-disconnect",
        "10 11 12",
        (T, 0.8, "means the SSH connection was lost, closed or is over its limit"),
    ),
    # OAuth 2 errors (RFC 6749 5.2, RFC 6750 3.1, RFC 8628 3.5, OpenID Connect), oauthlib's and
    # Authlib's ``error``: the token endpoint answers 400/401 for all of them.
    **_keyed(
        "oauth",
        "invalid_client invalid_grant unauthorized_client unsupported_grant_type invalid_scope "
        "access_denied unsupported_response_type invalid_request invalid_token insufficient_scope "
        "expired_token unsupported_token_type login_required consent_required interaction_required",
        (C, 0.93, "means the OAuth client, its grant, scope or token is refused (fix the credentials)"),
    ),
    **_keyed(
        "oauth",
        "temporarily_unavailable server_error slow_down authorization_pending",
        (T, 0.9, "means the authorization server asks to try again later"),
    ),
}

#: The Kafka protocol codes listed above; for any other code the reader falls back to the client's
#: ``retriable`` class flag (``kafka:retriable``).
KAFKA_CODES: frozenset[str] = frozenset(code for code in SERVICE_CODE if code.startswith("kafka:"))
