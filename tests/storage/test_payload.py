"""Payload serialisation: any object, bounded size, redaction, valid UTF-8 JSON, never raises."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from enum import Enum
from pathlib import PurePosixPath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_errorguard.storage.payload import (
    REDACTED,
    PayloadPolicy,
    clean_text,
    encode_payload,
    payload_encoder,
    serialise,
)

pytestmark = pytest.mark.unit


class Color(Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class FakeNumpyScalar:
    """Shaped like a numpy scalar (``dtype`` + ``tolist``) without needing numpy."""

    dtype = "int64"

    def tolist(self) -> int:
        return 7


def decode(value: Any, policy: PayloadPolicy | None = None) -> Any:
    return json.loads(serialise(value, policy or PayloadPolicy()))


def test_common_python_types_become_json() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    doc = decode(
        {
            "bytes": b"\x00\xffabc",
            "when": when,
            "day": dt.date(2026, 1, 2),
            "dur": dt.timedelta(seconds=90),
            "money": Decimal("10.50"),
            "id": ident,
            "tags": {"b", "a"},
            "pair": (1, 2),
            "color": Color.RED,
            "path": PurePosixPath("/tmp/x"),
            "point": Point(1, 2),
            "np": FakeNumpyScalar(),
            "nan": float("nan"),
            "inf": float("inf"),
        }
    )
    assert doc["bytes"] == {"$type": "bytes", "$base64": "AP9hYmM="}
    assert doc["when"] == "2026-01-02T03:04:05+00:00"
    assert doc["day"] == "2026-01-02"
    assert doc["dur"] == 90.0
    assert doc["money"] == "10.50"
    assert doc["id"] == str(ident)
    assert doc["tags"] == ["a", "b"]
    assert doc["pair"] == [1, 2]
    assert doc["color"] == "red"
    assert doc["path"] == "/tmp/x"
    assert doc["point"] == {"x": 1, "y": 2}
    assert doc["np"] == 7
    assert (doc["nan"], doc["inf"]) == ("NaN", "Infinity")


def test_arbitrary_and_hostile_objects_become_tagged_reprs() -> None:
    doc = decode({"obj": object(), "broken": BrokenRepr(), 3: "int key", (1, 2): "tuple key"})
    assert doc["obj"]["$type"] == "builtins.object"
    assert doc["obj"]["$repr"].startswith("<object object")
    assert doc["broken"] == {
        "$type": f"{__name__}.BrokenRepr",
        "$repr": "<unrepresentable: RuntimeError>",
    }
    assert doc["3"] == "int key"
    assert doc["[1, 2]"] == "tuple key"


def test_cycles_and_deep_nesting_do_not_crash() -> None:
    loop: dict[str, Any] = {"name": "loop"}
    loop["self"] = loop
    assert decode(loop)["self"]["$type"] == "cycle"
    deep: list[Any] = []
    cursor = deep
    for _ in range(5000):
        cursor.append([])
        cursor = cursor[0]
    text = serialise(deep, PayloadPolicy())
    assert "max-depth" in text
    json.loads(text)


def test_redaction_and_keyed_hashing_at_any_depth() -> None:
    policy = PayloadPolicy(
        redact_fields=frozenset({"Password"}), hash_fields=frozenset({"email"}), hash_key=b"k1"
    )
    payload = {
        "user": {"PASSWORD": "hunter2", "Email": "a@example.com"},
        "rows": [{"email": "a@example.com"}],
    }
    doc = decode(payload, policy)
    assert doc["user"]["PASSWORD"] == REDACTED
    digest = doc["user"]["Email"]
    assert digest.startswith("hmac-sha256:") and "a@example.com" not in json.dumps(doc)
    assert doc["rows"][0]["email"] == digest  # equal values still match
    other_key = decode(payload, dataclasses.replace(policy, hash_key=b"k2"))
    assert other_key["user"]["Email"] != digest


def test_nul_and_lone_surrogates_give_valid_utf8_json() -> None:
    raw = b"caf\xe9 \xff".decode("utf-8", "surrogateescape")
    encoded = encode_payload({"text": "a\x00b", "raw": raw}, PayloadPolicy())
    data = encoded.text.encode("utf-8")  # would raise on a surrogate
    doc = json.loads(encoded.text)
    assert doc["text"] == "a\x00b"  # stored escaped as \u0000, not as a NUL byte
    assert "\x00" not in encoded.text
    assert doc["raw"] == "caf\ufffd \ufffd"
    assert encoded.nbytes == len(data)
    assert encoded.sha256 == hashlib.sha256(data).hexdigest()


def test_oversized_payload_becomes_a_valid_marker_within_the_cap() -> None:
    policy = PayloadPolicy(max_bytes=1024)
    payload = {"blob": "é" * 5000}
    full = serialise(payload, policy).encode("utf-8")
    encoded = encode_payload(payload, policy)
    assert encoded.truncated
    assert len(encoded.text.encode("utf-8")) <= policy.max_bytes
    marker = json.loads(encoded.text)
    assert marker["$truncated"] is True
    assert marker["$original_bytes"] == len(full) == encoded.nbytes
    assert full.decode("utf-8").startswith(marker["$preview"])
    assert len(marker["$preview"]) > 300
    assert encoded.sha256 == hashlib.sha256(full).hexdigest()


def test_small_payload_is_stored_whole() -> None:
    encoded = encode_payload({"b": 1, "a": [1, 2]}, PayloadPolicy())
    assert (encoded.text, encoded.truncated) == ('{"a":[1,2],"b":1}', False)


def test_policy_and_clean_text_validation() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        PayloadPolicy(max_bytes=10)
    assert clean_text(None, 5) is None
    assert clean_text("abcdef", 3) == "abc"
    assert clean_text("a\x00b", 10) == "a\ufffdb"
    assert clean_text("\udcff", 10) == "\ufffd"
    assert clean_text(BrokenRepr(), 50) is not None  # str() falls back to repr, which fails too


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary()
hostile = (
    json_scalars
    | st.decimals(allow_nan=True)
    | st.datetimes()
    | st.uuids()
    | st.builds(BrokenRepr)
    | st.builds(object)
    | st.frozensets(st.integers(), max_size=4)
)
payloads = st.recursive(
    hostile,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=5)
        | st.tuples(children, children)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(payloads, st.sampled_from([400, 2048, 65536]))
def test_fuzz_never_raises_and_always_fits(payload: Any, max_bytes: int) -> None:
    policy = PayloadPolicy(
        max_bytes=max_bytes, redact_fields=frozenset({"a"}), hash_fields=frozenset({"b"}), hash_key=b"k"
    )
    for pol in (policy, PayloadPolicy(max_bytes=max_bytes)):
        encoded = encode_payload(payload, pol)
        data = encoded.text.encode("utf-8")
        assert len(data) <= max_bytes
        json.loads(encoded.text)
        assert "\x00" not in encoded.text
        assert encoded.truncated == (encoded.nbytes > max_bytes)


def test_the_bulk_encoder_gives_what_encode_payload_gives() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    values: list[Any] = [
        5, -3, 10**30, True, None, 1.5, float("nan"), "x\u00e9\x00\ud800", "y" * 1000,
        {"a": [1, 2, {"b": float("inf")}]}, {"a": 1, 2: 3}, cycle, {"k": "\u00e9" * 500},
        {"d": dt.date(2020, 1, 1), "x": Decimal("1.2")}, b"ab", (1, 2), {1, 2}, Color.RED,
        Point(1, 2), BrokenRepr(), {"password": "secret", "nested": {"email": "a@b"}},
    ]  # fmt: skip
    policies = [
        PayloadPolicy(),
        PayloadPolicy(max_bytes=400),
        PayloadPolicy(redact_fields=frozenset({"password"}), hash_fields=frozenset({"email"}), hash_key=b"k"),
    ]
    for policy in policies:
        encode = payload_encoder(policy)
        for _ in range(2):  # after a value the fast encoder gave up on, it still encodes the next
            for value in values:
                expected = encode_payload(value, policy)
                got = encode(value)
                assert got == (expected.text, expected.nbytes, expected.truncated, expected.stored_sha256)
