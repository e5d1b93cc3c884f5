"""
Built-in knowledge of tokens, keys, signatures and schedules, by dotted path (never imported): PyJWT
(Airflow 3's task tokens), cryptography's Fernet (Airflow's encrypted connections and variables),
itsdangerous signatures and croniter schedules. Merged into :data:`~.knowledge_types.TYPES`.

A token or signature that does not verify is almost always a key or secret that differs between
two components (configuration), not a bad record; a token not valid *yet* is clock skew.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, T


def _many(module: str, names: str, entry: Entry) -> dict[str, Entry]:
    return {f"{module}.{name}": entry for name in names.split()}


_JWT = "jwt.exceptions"

SECURITY_TYPES: dict[str, Entry] = {
    # --- PyJWT ----------------------------------------------------------------------------------
    **_many(
        _JWT,
        "InvalidSignatureError InvalidAudienceError InvalidIssuerError InvalidAlgorithmError InvalidKeyError "
        "InvalidSubjectError InvalidJTIError",
        (
            C,
            0.85,
            "means the token does not verify against this verifier's key or settings (a secret mismatch)",
        ),
    ),
    f"{_JWT}.ExpiredSignatureError": (
        C,
        0.8,
        "means the token has expired: its lifetime or refresh is wrong",
    ),
    f"{_JWT}.ImmatureSignatureError": (
        T,
        0.75,
        "means the token is not valid yet (clock skew between hosts)",
    ),
    **_many(
        _JWT,
        "MissingRequiredClaimError InvalidIssuedAtError",
        (D, 0.7, "means the token lacks a claim or carries an invalid one"),
    ),
    f"{_JWT}.DecodeError": (D, 0.7, "means the token is malformed"),
    f"{_JWT}.PyJWKClientConnectionError": (T, 0.85, "means the JWKS endpoint could not be reached"),
    f"{_JWT}.PyJWKClientError": (C, 0.8, "means the JWKS endpoint has no matching signing key"),
    # --- cryptography ---------------------------------------------------------------------------
    "cryptography.fernet.InvalidToken": (
        C,
        0.85,
        "means the value was encrypted with another Fernet key (a key mismatch or rotation), or has expired",
    ),
    "cryptography.exceptions.InvalidSignature": (C, 0.8, "means a signature does not verify against the key"),
    "cryptography.exceptions.UnsupportedAlgorithm": (
        C,
        0.85,
        "means the key or algorithm is not supported here",
    ),
    # --- itsdangerous ---------------------------------------------------------------------------
    "itsdangerous.exc.BadSignature": (C, 0.75, "means a signature does not match (another secret key?)"),
    "itsdangerous.exc.BadPayload": (D, 0.8, "means a signed payload cannot be loaded"),
    # --- croniter -------------------------------------------------------------------------------
    **{
        f"{module}.{name}": (C, 0.9, "means a cron schedule expression is invalid")
        for module in ("croniter.croniter", "croniter")
        for name in ("CroniterBadCronError", "CroniterNotAlphaError", "CroniterUnsupportedSyntaxError")
    },
}
