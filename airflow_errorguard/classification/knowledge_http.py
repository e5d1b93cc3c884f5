"""
Built-in knowledge of HTTP status codes: exact statuses first, then the status class.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T

HTTP_STATUS: dict[int, Entry] = {
    400: (D, 0.85, "is a rejected request (bad input)"),
    401: (C, 0.95, "means the credentials are missing or invalid"),
    403: (C, 0.95, "means the credentials lack permission"),
    404: (D, 0.6, "means the resource was not found (a missing record, or a wrong URL)"),
    405: (C, 0.9, "means the HTTP method is not allowed (wrong endpoint)"),
    406: (C, 0.85, "means the requested content type is not available"),
    407: (C, 0.95, "means the proxy needs authentication"),
    408: (T, 0.95, "is a request timeout"),
    409: (D, 0.75, "is a conflict with the resource's current state"),
    410: (D, 0.8, "means the resource is gone"),
    411: (C, 0.85, "means a Content-Length is required"),
    413: (D, 0.85, "means the payload is too large"),
    414: (D, 0.85, "means the URI is too long"),
    415: (C, 0.9, "means the media type is not supported"),
    422: (D, 0.9, "means the payload failed validation"),
    423: (T, 0.8, "means the resource is locked"),
    425: (T, 0.9, "means the server asks to retry later (too early)"),
    429: (T, 0.97, "is rate limiting"),
    431: (D, 0.8, "means the request headers are too large"),
    451: (C, 0.8, "means the resource is unavailable for legal reasons"),
    500: (T, 0.8, "is a server-side error"),
    501: (C, 0.85, "means the server does not implement the request"),
    502: (T, 0.95, "is a bad gateway (upstream unavailable)"),
    503: (T, 0.97, "is a server-side outage"),
    504: (T, 0.95, "is a gateway timeout"),
    505: (C, 0.85, "means the HTTP version is not supported"),
    507: (S, 0.8, "means the server ran out of storage"),
    509: (T, 0.85, "means the bandwidth limit was exceeded"),
    511: (C, 0.9, "means network authentication is required"),
    520: (T, 0.85, "is an unknown origin error behind a CDN"),
    521: (T, 0.9, "means the origin server is down"),
    522: (T, 0.9, "is a connection timeout behind a CDN"),
    523: (T, 0.85, "means the origin is unreachable"),
    524: (T, 0.9, "is a timeout behind a CDN"),
    529: (T, 0.9, "means the service is overloaded"),
}
#: Fallback by status class when a status is not listed above.
HTTP_CLASS: dict[int, Entry] = {
    3: (C, 0.75, "is a redirect the client did not follow (a redirect loop, or a moved endpoint)"),
    4: (D, 0.6, "is a client error"),
    5: (T, 0.75, "is a server-side error"),
}
