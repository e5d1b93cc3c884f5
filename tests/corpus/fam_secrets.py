"""Tokens, keys, signatures and schedules, raised live by the libraries an Airflow deployment already
has: PyJWT (Airflow 3's task tokens), a JWKS endpoint that is down, cryptography's Fernet (Airflow's
encrypted connections) and PEM keys, croniter schedules, itsdangerous signatures, and the
serialisers and validators beside them (orjson, msgspec, email-validator, fsspec protocols).
Written after the wave-7 knowledge, and measured before any change for it."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import croniter
import email_validator
import fsspec
import itsdangerous
import jwt
import msgspec
import orjson
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.corpus.model import C, D, Family, T
from tests.corpus.servers import free_port


class _Order(msgspec.Struct):
    qty: int


def build(family: Family, closing: list[Any]) -> None:
    now = dt.datetime.now(dt.UTC)

    def token(claims: dict[str, Any], key: str = "s") -> str:
        return jwt.encode(claims, key, algorithm="HS256")

    good = token({"sub": "task", "aud": "api", "exp": now + dt.timedelta(hours=1)}, "secret")
    old, new = Fernet.generate_key(), Fernet.generate_key()
    sealed = Fernet(old).encrypt(b"postgres://user:pw@db/x")
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    signer = itsdangerous.URLSafeSerializer("k")
    timed = itsdangerous.URLSafeTimedSerializer("k")
    jwks = f"http://127.0.0.1:{free_port()}/jwks"
    for name, run, accept, why in (
        (
            "jwt-expired",
            lambda: jwt.decode(token({"exp": now - dt.timedelta(hours=1)}), "s", algorithms=["HS256"]),
            {C, T},
            "an expired token: refresh it, or the credential's lifetime is wrong",
        ),
        (
            "jwt-signature",
            lambda: jwt.decode(good, "wrong", algorithms=["HS256"], audience="api"),
            C,
            "the signing keys differ (a secret mismatch between components)",
        ),
        ("jwt-malformed", lambda: jwt.decode("not-a-jwt", "s", algorithms=["HS256"]), {D, C}, "not a JWT"),
        (
            "jwt-audience",
            lambda: jwt.decode(good, "secret", algorithms=["HS256"], audience="other"),
            C,
            "the token is for another audience",
        ),
        (
            "jwt-not-yet",
            lambda: jwt.decode(token({"nbf": now + dt.timedelta(hours=1)}), "s", algorithms=["HS256"]),
            {T, C},
            "not valid yet (nbf): clock skew",
        ),
        (
            "jwt-claim",
            lambda: jwt.decode(token({"sub": "x"}), "s", algorithms=["HS256"], options={"require": ["exp"]}),
            {C, D},
            "a required claim is missing",
        ),
        (
            "jwt-algorithm",
            lambda: jwt.decode(good, "secret", algorithms=["RS256"], audience="api"),
            C,
            "an algorithm the verifier does not allow",
        ),
        (
            "jwks-down",
            lambda: jwt.PyJWKClient(jwks, timeout=1).get_signing_key("kid"),
            T,
            "the JWKS endpoint refuses connections",
        ),
        ("fernet-other-key", lambda: Fernet(new).decrypt(sealed), C, "encrypted with another Fernet key"),
        ("fernet-key-format", lambda: Fernet(b"short"), C, "a Fernet key that is not 32 base64 bytes"),
        (
            "fernet-ttl",
            lambda: Fernet(old).decrypt(Fernet(old).encrypt_at_time(b"x", int(time.time()) - 100), ttl=10),
            {C, D},
            "a token older than its ttl",
        ),
        (
            "pem-password",
            lambda: serialization.load_pem_private_key(pem, password=b"nope"),
            C,
            "the private key's password is wrong",
        ),
        (
            "pem-no-password",
            lambda: serialization.load_pem_private_key(pem, password=None),
            C,
            "an encrypted private key without its password",
        ),
        ("cron-range", lambda: croniter.croniter("61 * * * *"), C, "minute 61 in a schedule"),
        ("cron-fields", lambda: croniter.croniter("* * *"), C, "a schedule with three fields"),
        ("signature", lambda: signer.loads("eyJhIjoxfQ.bad"), {C, D}, "a signature that does not match"),
        (
            "signature-expired",
            lambda: timed.loads(timed.dumps({"a": 1}), max_age=-1),
            {C, D, T},
            "a signed value past its max_age",
        ),
        ("orjson-decode", lambda: orjson.loads("{"), D, "truncated JSON"),
        ("orjson-encode", lambda: orjson.dumps(object()), {D, C}, "a value JSON cannot hold"),
        (
            "msgspec-type",
            lambda: msgspec.json.decode(b'{"qty":"x"}', type=_Order),
            D,
            "a field of the wrong type",
        ),
        (
            "msgspec-missing",
            lambda: msgspec.json.decode(b"{}", type=_Order),
            D,
            "a required field is missing",
        ),
        (
            "email",
            lambda: email_validator.validate_email("not-an-email", check_deliverability=False),
            D,
            "not an e-mail address",
        ),
        (
            "fsspec-protocol",
            lambda: fsspec.filesystem("nosuchproto"),
            C,
            "a storage protocol no plugin knows",
        ),
    ):
        family.add(name, run, accept, why)
