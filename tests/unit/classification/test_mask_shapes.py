"""``mask_message`` reuses a mask by the text's shape (digits 1-9 as ``1``): never a different result."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_errorguard.classification import fingerprint
from airflow_errorguard.classification.fingerprint import mask_message
from tests.unit.classification.test_mask_skips import PIECES

pytestmark = pytest.mark.unit

TEXTS = st.lists(
    PIECES
    | st.sampled_from(["[::1]", "http://[::ffff:1.2.3.4]/", "v1", "api2.example.com", "9"])
    | st.text(max_size=8),
    max_size=12,
).map("".join)


def redigit(text: str, digits: list[str]) -> str:
    """*text* with its digits 1-9 replaced, in order, by *digits* (cycled): the same shape."""
    out, n = [], 0
    for char in text:
        if char in "123456789":
            out.append(digits[n % len(digits)])
            n += 1
        else:
            out.append(char)
    return "".join(out)


@settings(max_examples=500, deadline=None)
@given(TEXTS, st.lists(st.sampled_from("123456789"), min_size=1, max_size=5))
def test_a_text_of_a_cached_shape_masks_as_if_computed(text: str, digits: list[str]) -> None:
    other = redigit(text, digits)
    assert mask_message(text) == fingerprint._mask(text[: fingerprint._MAX_SOURCE])
    assert mask_message(other) == fingerprint._mask(other[: fingerprint._MAX_SOURCE])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("record 17 is not valid", "record 42 is not valid"),
        ("GET https://api2.example.com/v1/x failed", "GET https://api3.example.com/v2/x failed"),
        ("http://[::ffff:999.1.1.1]/x refused", "http://[::ffff:199.1.1.1]/x refused"),
        ("0x1f at 10", "5x1f at 10"),
    ],
)
def test_same_shape_different_values(first: str, second: str) -> None:
    """Either order of first sight: each text gets its own mask (kept digits and all)."""
    fingerprint._BY_SHAPE.clear()
    assert mask_message(first) == fingerprint._mask(first)
    assert mask_message(second) == fingerprint._mask(second)
    fingerprint._BY_SHAPE.clear()
    assert mask_message(second) == fingerprint._mask(second)
    assert mask_message(first) == fingerprint._mask(first)


def test_the_shape_cache_is_used_and_bounded() -> None:
    fingerprint._BY_SHAPE.clear()
    assert mask_message("record 17 is not valid") == "record <n> is not valid"
    assert fingerprint._BY_SHAPE == {b"record 11 is not valid": "record <n> is not valid"}
    for n in range(fingerprint._MAX_SHAPES + 10):
        mask_message("x" * (n % 50) + f" {n}" + "y" * (n // 50))
    assert len(fingerprint._BY_SHAPE) == fingerprint._MAX_SHAPES
