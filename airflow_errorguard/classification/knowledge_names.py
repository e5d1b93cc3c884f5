"""
Built-in knowledge of exception class *names*, for classes no other table lists.

A client the knowledge has never seen still names its errors for what they are
(``ColumnNotFoundError``, ``AuthorizationError``, ``NoRespondersError``, ``SchemaError``): the words
of a class name are read when no class of its MRO is listed anywhere else. Each entry is a pattern
over the lower-cased class name (``CamelCase`` joined, so ``ColumnNotFound`` reads
``columnnotfound``) and ``(category, confidence, explanation)``; the first pattern that matches the
most specific class of the MRO decides. Confidence stays at or below 0.7: any code, listed class or
message pattern outranks a name.
"""

from __future__ import annotations

import re

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T

_OBJECTS = (
    r"table|stream|bucket|topic|queue|database|catalog|schema|index|collection|namespace|container|"
    r"exchange|host|endpoint|route|project|dataset|model|region|account|tenant|function|procedure|"
    r"file|path|directory|consumer|subscription|channel|secret|role|user"
)
_FIELDS = r"column|field|key|attribute|record|row|item|value|element|property|member|entry|document|claim"
_ABSENT = r"notfound|notexist|doesnotexist|missing|unknown|undefined|nosuch"
_SETTINGS = (
    r"config|option|argument|arg|parameter|param|timeout|url|uri|dsn|host|port|scheme|protocol|"
    r"version|subject|topic|name|endpoint|region|dialect|driver|mode|level|qos|type|algorithm"
)

#: ``(pattern, entry)``: searched in order in the lower-cased class name.
NAME_PATTERNS: tuple[tuple[str, Entry], ...] = (
    (
        r"auth|credential|permission|forbidden|accessdenied|unauthori[sz]ed|notallowed|privilege|"
        r"login|password|token(?:expired|invalid|revoked)|(?:invalid|expired|bad)token|signature|"
        r"audience|issuer|(?:account|user)(?:locked|disabled|suspended|expired)",
        (C, 0.7, "is named for an authentication or permission failure"),
    ),
    (r"config|setting|improperly", (C, 0.7, "is named for a configuration error")),
    (
        rf"(?:invalid|bad|illegal|unsupported|unknown|wrong)(?:{_SETTINGS})",
        (C, 0.7, "is named for an invalid setting or argument"),
    ),
    (
        rf"(?:{_OBJECTS})(?:{_ABSENT})|(?:{_ABSENT})(?:{_OBJECTS})",
        (C, 0.65, "is named for an object the setup refers to that does not exist"),
    ),
    (
        r"outofmemory|memorylimit|memoryexceeded|nospace|diskfull|outofdisk|storagefull",
        (S, 0.7, "is named for a host or server out of memory or disk"),
    ),
    (
        r"deadlock|serializationfailure|lockwait|locktimeout|locknotavailable|locked|lockconflict",
        (T, 0.7, "is named for a lock conflict"),
    ),
    (r"timeout|timedout|deadlineexceeded", (T, 0.7, "is named for a timeout")),
    (
        r"unavailable|throttl|ratelimit|toomanyrequests|busy|overload|retriable|retryable|transient|"
        r"temporar|tryagain|noresponders|noservers|nobrokers|notready|staleconnection|leadernotavailable",
        (T, 0.7, "is named for a service that is temporarily unavailable or overloaded"),
    ),
    (
        rf"(?:{_FIELDS})(?:{_ABSENT})|(?:{_ABSENT})(?:{_FIELDS})",
        (D, 0.65, "is named for a record lacking an expected column, field or key"),
    ),
    (
        r"schema|shape|validat|constraint|integrity|conversion|convert|cast|overflow|outofrange|"
        r"outofbounds|duplicate|nodata|emptydata|parse|parsing|decod|deserializ|malformed|corrupt|"
        r"(?:invalid|illegal)(?:data|value|input|record|format|json|row)|mismatch|payload|toolarge|compute|"
        r"encoding|format",
        (D, 0.65, "is named for a value, record or schema the input got wrong"),
    ),
    (
        r"syntax|notimplemented|unsupported|programming",
        (C, 0.65, "is named for a defect in the code or query"),
    ),
    (
        r"connection|network|socket|transport|unreachable|disconnect|brokenpipe|eof",
        (T, 0.6, "is named for a connection failure"),
    ),
)

#: One regex per pattern, tried in order: the first pattern found anywhere in the name decides (a
#: combined alternation would pick the leftmost match instead, so ``ConnectionAuthError`` would read
#: as a connection failure rather than the authentication failure it is).
_NAME_REGEXES = tuple((re.compile(pattern), entry) for pattern, entry in NAME_PATTERNS)
#: Class names that say nothing of their own (``Error``, ``ClientError``, ``APIError``...).
_SKIP = frozenset({"exception", "baseexception", "error"})


def name_entry(paths: tuple[str, ...]) -> tuple[str, Entry] | None:
    """``("name:<Class>", entry)`` for the most specific class of *paths* whose name says what it is.

    Only classes outside the standard library are read (``builtins`` classes have bare names)."""
    for path in paths:
        if "." not in path:
            continue  # a builtin: ValueError, OSError... are listed or deliberately not
        name = path.rsplit(".", 1)[-1].lower()
        if name in _SKIP:
            continue
        for regex, entry in _NAME_REGEXES:
            if regex.search(name) is not None:
                return f"name:{path.rsplit('.', 1)[-1]}", entry
    return None
