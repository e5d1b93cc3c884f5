"""``message_scan.search`` finds what ``MESSAGE_REGEX.search`` finds, whatever shapes it saw before."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_errorguard.classification import message_scan
from airflow_errorguard.classification.knowledge_messages import MESSAGE_REGEX, MESSAGES
from tests.unit.classification.test_mask_shapes import redigit

pytestmark = pytest.mark.unit


def combined(lowered: str) -> tuple[int, str] | None:
    found = MESSAGE_REGEX.search(lowered)
    if found is None or found.lastgroup is None:
        return None
    return int(found.lastgroup[1:]), found.group(0)


#: Words of the patterns themselves (so random texts match them, and nearly match them), digits.
WORDS = sorted(
    {word for source, _ in MESSAGES for word in re.findall(r"[a-z_']{3,}", source)}
    | {"401", "411", "tlsv1", "tlsv2", "timeout", "port", "must", "0", "7", "42", " ", ".", ":", "-", "\n"}
)
TEXTS = st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=14).map(" ".join)


def test_the_patterns_are_split_and_some_alternatives_read_digits() -> None:
    assert message_scan.SPLIT
    for index, (source, _) in enumerate(MESSAGES):
        parts = [alt for i, alt in message_scan.ALTERNATIVES if i == index]
        assert "|".join(parts) == source
    assert message_scan._SEEING is not None and "401" in message_scan._SEEING.pattern
    assert message_scan._BLIND is not None and "401" not in message_scan._BLIND.pattern


@pytest.mark.parametrize(
    ("source", "parts"),
    [
        ("a|b", ["a", "b"]),
        ("(?:a|b)c|d", ["(?:a|b)c", "d"]),
        (r"[|]x|\|y|[]|]z", ["[|]x", r"\|y", "[]|]z"]),
        (r"[^]|]|q", ["[^]|]", "q"]),
    ],
)
def test_top_level_alternatives(source: str, parts: list[str]) -> None:
    assert message_scan.top_level_alternatives(source) == parts


@pytest.mark.parametrize(
    ("alternative", "reads"),
    [
        (r"connection refused", False),
        (r"conn_id .{0,80} isn't defined", False),  # a quantifier reads no character
        (r"x{,12}y{3}", False),
        (r"\b401 unauthori[sz]ed", True),
        (r"[{1}]x", True),  # a class holding "1": not a quantifier
        (r"\{1}", True),  # an escaped brace: "{1}" is literal text
        (r"[0-9]", True),
        (r"\x31", True),
        (r"(a)\1", True),
        (r"\N{DIGIT ONE}", True),
        (r"(?P<x>\d)(?P=x)", True),
        (r"[!-~]\d\w", False),
    ],
)
def test_reads_digit_values(alternative: str, reads: bool) -> None:
    assert message_scan.reads_digit_values(alternative) is reads


@settings(max_examples=600, deadline=None)
@given(TEXTS, st.lists(st.sampled_from("123456789"), min_size=1, max_size=4))
def test_same_result_as_the_combined_regex(text: str, digits: list[str]) -> None:
    lowered = text.lower()
    other = redigit(lowered, digits)  # the same shape: served from the remembered scan
    assert message_scan.search(lowered) == combined(lowered)
    assert message_scan.search(other) == combined(other)


@pytest.mark.parametrize(
    "message",
    [
        "record 17 is not valid",
        "401 unauthorized: token expired",
        "411 unauthorized: token expired",  # same shape as the one above; no pattern here
        "ssl: tlsv1 alert unknown ca (_ssl.c:1000)",
        "ssl: tlsv2 alert unknown ca (_ssl.c:1000)",
        "connection timed out after 30 s",
        "port 99999 must be 0-65535",
        "could not connect to server: connection refused",
        "x" * 3000 + " connection refused",
    ],
)
def test_real_messages(message: str) -> None:
    message_scan._BY_SHAPE.clear()
    for text in (message, message.replace("1", "7"), message):
        assert message_scan.search(text) == combined(text)


@pytest.mark.parametrize(
    ("alternative", "literal"),
    [
        (r"\b401 unauthori[sz]ed", "401 unauthori"),
        ("tlsv1 alert unknown ca", "tlsv1 alert unknown ca"),
        ("ab?cd", "cd"),  # "b" is optional: not part of a required run
        (r"x(?:y|z)w", "x"),
        (r"\d+ms", "ms"),
        (r"(?i)abc", None),  # case-insensitive: a literal need not match itself
        (r"[ab]+", None),
        (r"(abc)?", None),
    ],
)
def test_required_literal(alternative: str, literal: str | None) -> None:
    assert message_scan.required_literal(alternative) == literal


def test_an_alternative_without_a_required_literal_scans_every_text() -> None:
    assert message_scan._needs([r"\b401 unauthori[sz]ed", r"\d+"]) is None
    assert message_scan._needs([r"\b401 unauthori[sz]ed", "tlsv1"]) == ("401 unauthori", "tlsv1")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_match_of_a_digit_reading_alternative_holds_its_literal(data: st.DataObject) -> None:
    """What lets a text without any of ``SEEING_NEEDS`` skip the digit-reading scan."""
    seeing = [a for _, a in message_scan.ALTERNATIVES if message_scan.reads_digit_values(a)]
    alternative = data.draw(st.sampled_from(seeing))
    literal = message_scan.required_literal(alternative)
    text = data.draw(TEXTS).lower()
    found = re.search(alternative, text)
    if literal is not None and found is not None:
        assert literal in found.group(0)
    if literal is not None and literal not in text:
        assert found is None
