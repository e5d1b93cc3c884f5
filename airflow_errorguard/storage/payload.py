"""
Payload serialisation for quarantined records: never raises, bounded in size, redacts personal data.

:func:`encode_payload` turns any Python object into JSON text:

- ``bytes`` become ``{"$type": "bytes", "$base64": ...}``; ``datetime``/``date``/``time`` ISO
  strings; ``Decimal`` and ``UUID`` strings; sets sorted lists; tuples lists; numpy scalars and
  arrays their Python values; dataclasses dicts; ``NaN``/``Infinity`` the strings ``"NaN"``...;
  anything else ``{"$type": "module.Class", "$repr": "..."}`` (a failing ``repr`` included).
- Fields named in ``redact_fields`` (any depth, case-insensitive) become ``"[redacted]"``; fields
  in ``hash_fields`` become ``"hmac-sha256:<hex>"`` (keyed by ``hash_key``): equal values still
  compare equal, the value itself is gone.
- NUL characters stay escaped (``\\u0000``) in the JSON text; lone surrogates (undecodable bytes
  read with ``surrogateescape``) become U+FFFD, so the text is always valid UTF-8.
- Over ``max_bytes`` the document is replaced by a valid JSON marker
  ``{"$truncated": true, "$original_bytes": n, "$preview": "..."}``; ``sha256`` and ``nbytes``
  always describe the full serialised document.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from pathlib import PurePath
from typing import Any

REDACTED = "[redacted]"
MAX_DEPTH = 64
_REPR_LIMIT = 1000
_MARKER_RESERVE = 200
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class PayloadPolicy:
    """
    How payloads are stored.

    :param max_bytes: Cap on the stored JSON text, in UTF-8 bytes (``[errorguard] max_payload_bytes``).
    :param redact_fields: Field names replaced by ``"[redacted]"`` (``[errorguard] redact_fields``).
    :param hash_fields: Field names replaced by a keyed hash (``[errorguard] hash_fields``).
    :param hash_key: Secret key of that hash (``[errorguard] hash_key``); required with *hash_fields*.
    """

    max_bytes: int = 65536
    redact_fields: frozenset[str] = frozenset()
    hash_fields: frozenset[str] = frozenset()
    hash_key: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if self.max_bytes < 2 * _MARKER_RESERVE:
            raise ValueError(
                f"PayloadPolicy.max_bytes must be >= {2 * _MARKER_RESERVE}, got {self.max_bytes}"
            )
        object.__setattr__(self, "redact_fields", frozenset(f.lower() for f in self.redact_fields))
        object.__setattr__(self, "hash_fields", frozenset(f.lower() for f in self.hash_fields))
        if self.hash_fields and not self.hash_key:
            raise ValueError(
                "PayloadPolicy.hash_fields needs a hash_key: an unkeyed hash of a guessable value "
                "is reversible"
            )

    @property
    def transforms_fields(self) -> bool:
        return bool(self.redact_fields or self.hash_fields)


@dataclass(frozen=True)
class EncodedPayload:
    """
    JSON text to store, with the size and digest of the full (untruncated) document. The digest
    of a whole payload is the SHA-256 of its text, computed when asked for (it is not stored);
    :attr:`stored_sha256` is what the quarantine row keeps.
    """

    text: str
    nbytes: int
    truncated: bool
    stored_sha256: str | None
    """The digest of the full document when the text is a truncation marker, else ``None``."""

    @property
    def sha256(self) -> str:
        return self.stored_sha256 or payload_sha256(self.text)


def payload_sha256(text: str) -> str:
    """The SHA-256 (hex) of a stored, untruncated payload's text."""
    return hashlib.sha256(_utf8(text)[1]).hexdigest()


def _tagged_repr(value: Any) -> dict[str, str]:
    cls = type(value)
    try:
        text = repr(value)
    except Exception as err:  # a broken __repr__ must not lose the record
        text = f"<unrepresentable: {type(err).__name__}>"
    return {"$type": f"{cls.__module__}.{cls.__qualname__}", "$repr": text[:_REPR_LIMIT]}


def _float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _convert(value: Any) -> Any:
    """A JSON-native replacement for one non-native value (may itself need converting)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$type": "bytes", "$base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (uuid.UUID, PurePath)):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
    if hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return _tagged_repr(value)


class _Sanitizer:
    """Walks a value, producing a tree :func:`json.dumps` accepts without a ``default`` hook."""

    def __init__(self, policy: PayloadPolicy) -> None:
        self.policy = policy
        self._active: set[int] = set()

    def hashed(self, value: Any) -> str:
        data = json.dumps(self.walk(value, 0), sort_keys=True, ensure_ascii=True).encode()
        return "hmac-sha256:" + hmac.new(self.policy.hash_key, data, hashlib.sha256).hexdigest()

    def walk(self, value: Any, depth: int) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return _float(value)
        if depth >= MAX_DEPTH:
            return {"$type": "max-depth", "$repr": f"nested deeper than {MAX_DEPTH}"}
        ident = id(value)
        if ident in self._active:
            return {"$type": "cycle", "$repr": f"<cycle: {type(value).__qualname__}>"}
        self._active.add(ident)
        try:
            if isinstance(value, Mapping):
                return self._mapping(value, depth)
            if isinstance(value, (list, tuple)):
                return [self.walk(item, depth + 1) for item in value]
            return self.walk(_convert(value), depth + 1)
        finally:
            self._active.discard(ident)

    def _mapping(self, value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        policy = self.policy
        for key, item in value.items():
            name = key if isinstance(key, str) else str(self.walk(key, depth + 1))
            lowered = name.lower()
            if lowered in policy.redact_fields:
                out[name] = REDACTED
            elif lowered in policy.hash_fields:
                out[name] = self.hashed(item)
            else:
                out[name] = self.walk(item, depth + 1)
        return out


_STRICT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"))
_LENIENT = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"), default=_convert
)


def _dumps(value: Any) -> str:
    return _STRICT.encode(value)


def serialise(value: Any, policy: PayloadPolicy) -> str:
    """*value* as compact JSON text with sorted keys (see the module docstring). Never raises."""
    if not policy.transforms_fields:
        try:
            return _LENIENT.encode(value)
        except (TypeError, ValueError, RecursionError):
            pass  # NaN, non-string keys, cycles, depth: the careful walk handles them
    try:
        return _dumps(_Sanitizer(policy).walk(value, 0))
    except Exception as err:  # last resort: never lose the record because of its payload
        return _dumps(_tagged_repr(value) | {"$error": f"{type(err).__name__}: {err}"[:_REPR_LIMIT]})


def _utf8(text: str) -> tuple[str, bytes]:
    """*text* and its UTF-8 bytes, lone surrogates replaced by U+FFFD."""
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATES.sub("\ufffd", text)
        return text, text.encode("utf-8")


def _preview(text: str, budget: int) -> str:
    return text.encode("utf-8")[: max(budget, 0)].decode("utf-8", "ignore")


def encode_payload(value: Any, policy: PayloadPolicy) -> EncodedPayload:
    """Serialise, cap and digest *value* for the quarantine table. Never raises."""
    text, data = _utf8(serialise(value, policy))
    if len(data) <= policy.max_bytes:
        return EncodedPayload(text=text, nbytes=len(data), truncated=False, stored_sha256=None)
    digest = hashlib.sha256(data).hexdigest()
    budget = policy.max_bytes - _MARKER_RESERVE
    while True:
        marker = _dumps(
            {"$truncated": True, "$original_bytes": len(data), "$preview": _preview(text, budget)}
        )
        size = len(marker.encode("utf-8"))
        if size <= policy.max_bytes or budget <= 0:
            return EncodedPayload(text=marker, nbytes=len(data), truncated=True, stored_sha256=digest)
        budget -= max(64, size - policy.max_bytes)  # escaping made the preview grow: shrink it


#: A payload as a quarantine row's columns: text, full size in bytes, truncated, stored digest.
PayloadColumns = tuple[str, int, bool, str | None]


def payload_encoder(policy: PayloadPolicy) -> Callable[[Any], PayloadColumns]:
    """
    :func:`encode_payload` for the many payloads of one bulk insert, as column values: the same
    text, size, truncation and digest, without an :class:`EncodedPayload` per record and with one
    JSON encoder for them all (``json`` builds one per call). Not thread-safe: one per insert.
    """
    max_bytes = policy.max_bytes

    def whole(value: Any) -> PayloadColumns:
        encoded = encode_payload(value, policy)
        return encoded.text, encoded.nbytes, encoded.truncated, encoded.stored_sha256

    if policy.transforms_fields or c_make_encoder is None:
        return whole
    enc = _LENIENT

    def make() -> Any:  # what JSONEncoder.iterencode builds for a one-shot encode, kept
        return c_make_encoder(
            {}, enc.default, encode_basestring, None, enc.key_separator, enc.item_separator,
            enc.sort_keys, enc.skipkeys, enc.allow_nan,
        )  # fmt: skip

    encoders = [make()]

    def encode(value: Any) -> PayloadColumns:
        cls = type(value)
        try:
            if cls is int:
                text = int.__repr__(value)
            elif cls is str:
                text = encode_basestring(value)
            else:
                text = "".join(encoders[0](value, 0))
        except Exception:  # what serialise's careful walk handles (NaN, cycles...)
            encoders[0] = make()  # its cycle markers may hold this value's containers
            return whole(value)
        if text.isascii():
            nbytes = len(text)
        else:
            text, data = _utf8(text)
            nbytes = len(data)
        if nbytes > max_bytes:
            return whole(value)  # the truncation marker
        return text, nbytes, False, None

    return encode


def clean_text(value: object, limit: int) -> str | None:
    """
    *value* as text a database column accepts: at most *limit* characters, NUL characters and
    lone surrogates replaced by U+FFFD. ``None`` stays ``None``; never raises.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        try:
            value = str(value)
        except Exception as err:
            value = f"<unprintable {type(value).__name__}: {type(err).__name__}>"
    text = value[:limit]
    if text.isascii():
        return text.replace("\x00", "\ufffd") if "\x00" in text else text
    return _SURROGATES.sub("\ufffd", text.replace("\x00", "\ufffd"))
