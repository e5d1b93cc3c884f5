"""``mask_message`` skips a mask when the text lacks a character that mask needs: never a different result."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_errorguard.classification import fingerprint
from airflow_errorguard.classification.fingerprint import mask_message

pytestmark = pytest.mark.unit


def every_mask(text: str) -> str:
    """The same steps as ``mask_message``, each applied whatever the text holds."""
    text = text[: fingerprint._MAX_SOURCE].strip()
    if len(text) > 2 and text[0] == text[-1] == "'" and " " in text and "'" not in text[1:-1]:
        text = text[1:-1]
    kept: list[str] = []

    def protect(value: str) -> str:
        if len(kept) >= fingerprint._MAX_PROTECTED:
            return value
        kept.append(value)
        return f"\x00{chr(97 + len(kept) - 1)}\x00"

    text = fingerprint._URL.sub(
        lambda found: protect(fingerprint.route_template(found.group(0))), text.replace("\x00", "")
    )
    text = fingerprint._IDENTITY.sub(lambda found: fingerprint._keep_identity(found, protect), text.strip())
    for pattern, placeholder, _needs in fingerprint._MASKS:
        text = pattern.sub(placeholder, text)
    text = fingerprint._SENTINEL.sub(lambda found: kept[ord(found.group(1)) - 97], text)
    return re.sub(r"\s+", " ", text).strip()


#: Pieces real messages are made of, so random texts hit every mask (and miss each one).
PIECES = st.sampled_from(
    [
        "'customer_id'",
        '"orders_pkey"',
        "`col`",
        "column ",
        "key ",
        " object",
        "a@b.example.com",
        "123e4567-e89b-12d3-a456-426614174000",
        "2024-01-02T03:04:05Z",
        "/data/2024/01/x.csv",
        "C:\\tmp\\x",
        "~/x",
        "10.0.0.1:5432",
        "0xdeadbeef",
        "deadbeef42",
        "42",
        "3.14",
        "٣",
        "https://api.example.com:8443/v1/customers/42?x=1",
        "s3://bucket/key",
        " ",
        "\n",
        "-",
        ":",
        ".",
        "'",
        '"',
        "\x00",
        "word",
        "n/a",
        "is a required property",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES | st.text(max_size=8), max_size=12).map("".join))
def test_skipping_a_mask_never_changes_the_result(text: str) -> None:
    assert mask_message(text) == every_mask(text)


@pytest.mark.parametrize(
    "text",
    [
        "could not convert string to float: 'n/a'",
        "value ٣ is not allowed",  # a non-ASCII digit: \d matches it
        "Connection refused",
        'duplicate key value violates unique constraint "orders_pkey"',
        "HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded with url: /v1/x/42",
    ],
)
def test_real_messages(text: str) -> None:
    assert mask_message(text) == every_mask(text)
