"""
Masking of volatile message parts so the same failure gets the same fingerprint across runs.

**Identity** (kept, digits masked): the name of a missing key, column, attribute, field, table,
constraint, queue or module (a quoted name after such a word, a message that is only a quoted name
as ``KeyError`` has, a quoted type name before ``object``, a property named "required"), and an
HTTP route template
(scheme, host and path, with id-like segments masked). SQLSTATEs, HTTP statuses and driver codes
are kept by the classifier in the fingerprint's head.

**Volatile** (masked): other quoted values (user data), URLs' ports, query strings and ids, e-mail
addresses, UUIDs, timestamps, file paths (dated or not), IP addresses, hex ids and numbers.

**Masked once per shape**: messages that differ only in their digits 1-9 (``record 17 failed``,
``record 42 failed``) are masked the same way, so the mask is computed once per *shape* (the text
with every digit 1-9 written ``1``) and reused. Every pattern below reads a digit 1-9 only through
a character class (digits, word characters, hex digits, ...), never as a literal (``0`` is kept
apart: ``0x`` is one), so two texts of one shape match at the same places; a result is reused
only when it holds no digit 1-9, i.e. when none of the text's own digits survived into it. URLs
with a bracketed host bypass the reuse: ``urlsplit`` validates an IPv6 host by its value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

_MAX_SOURCE = 2000
_MAX_PROTECTED = 26

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I)
_NAME = r"[A-Za-z_][\w.$:-]{0,63}"
_QUOTED_NAME = rf"(?:'{_NAME}'|\"{_NAME}\"|`{_NAME}`)"
#: Quoted names that are the identity of the failure (what is missing or violated): after a word
#: naming what they are, before "object" (a type), before "is a required property", or alone.
_IDENTITY = re.compile(
    r"(?P<lead>\b(?:column|relation|table|constraint|key|field|attribute|index|schema|database|role|"
    r"function|type|queue|exchange|bucket|container|stream|topic|module|named|property|argument|"
    r"parameter|sequence|view|user|variable|option|setting|section|header|sheet)\s+)"
    rf"(?P<name>{_QUOTED_NAME})"
    rf"|(?P<typed>{_QUOTED_NAME})(?= object\b| is a required property)"
    rf"|^(?P<alone>{_QUOTED_NAME})$",
    re.I,
)
_ID_SEGMENT = re.compile(r"^(?!v\d{1,2}$).*\d")
_IP_HOST = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9a-f:]+\]?$", re.I)

# Order matters: the wider shapes are masked before the numbers inside them. Each mask names the
# characters it cannot match without (one of them must be in the text; ``DIGIT``: any character
# ``\d`` matches), so a message without them skips it: the placeholders and sentinels that earlier
# steps write contain none of them.
DIGIT = "\\d"
_MASKS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"), "<email>", "@"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>", "-"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<ts>", ":"),
    (re.compile(r"'(?:[^'\\]|\\.){0,200}'|\"(?:[^\"\\]|\\.){0,200}\"|`[^`]{0,200}`"), "<str>", "'\"`"),
    (re.compile(r"(?<![\w<])(?:[A-Za-z]:\\|~?/)[\w.\-/\\]+"), "<path>", "/\\"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>", "."),
    (re.compile(r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), "<hex>", DIGIT),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>", DIGIT),
)
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_HAS_DIGIT = re.compile(r"\d").search
_SENTINEL = re.compile("\x00([a-z])\x00")


def route_template(url: str) -> str:
    """``https://api.example.com:8443/v1/customers/42?x=1`` -> ``https://api.example.com/v1/customers/<id>``."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "<url>"
    if not host:
        return "<url>"
    if _IP_HOST.match(host):
        host = "<ip>"
    segments = ["<id>" if _ID_SEGMENT.match(segment) else segment for segment in parts.path.split("/")]
    return f"{parts.scheme.lower()}://{host}{'/'.join(segments)}"


def _keep_identity(found: re.Match[str], protect: Callable[[str], str]) -> str:
    """The name kept, its digits masked: ``events_20240101`` and ``events_20240102`` are one table."""
    if found.group("name") is not None:
        return found.group("lead") + protect(_DIGITS.sub("<n>", found.group("name")))
    return protect(_DIGITS.sub("<n>", found.group(0)))


#: Digits 1-9 written ``1`` in a text's UTF-8 bytes: its shape (``0`` stays: ``0x`` reads it). An
#: ASCII digit byte never occurs inside a multi-byte character; bytes translate fastest.
_ONES = bytes.maketrans(b"23456789", b"11111111")
_NONZERO_DIGIT = re.compile("[1-9]").search
#: Masked texts by shape (bounded: once full, new shapes are masked each time).
_BY_SHAPE: dict[bytes, str] = {}
_MAX_SHAPES = 4096


def mask_message(text: str) -> str:
    """
    Return *text* with volatile values masked and identity kept (see the module docstring).

    URLs become route templates; e-mail addresses, UUIDs, timestamps, quoted values (except
    identity names), paths, IP addresses, hex ids and numbers become placeholders such as ``<n>``;
    whitespace is collapsed. Computed once per shape of the text (see the module docstring).
    """
    text = text[:_MAX_SOURCE]
    shape = text.encode("utf-8", "surrogatepass").translate(_ONES)
    masked = _BY_SHAPE.get(shape)
    if masked is not None:
        return masked
    masked = _mask(text)
    if (
        len(_BY_SHAPE) < _MAX_SHAPES
        and _NONZERO_DIGIT(masked) is None
        and not ("[" in text and "://" in text)
    ):
        _BY_SHAPE[shape] = masked
    return masked


def _mask(text: str) -> str:
    """:func:`mask_message` computed (no reuse by shape)."""
    text = text.strip()
    if len(text) > 2 and text[0] == text[-1] == "'" and " " in text and "'" not in text[1:-1]:
        text = text[1:-1]  # a KeyError's repr of a sentence: read the sentence
    kept: list[str] = []

    def protect(value: str) -> str:
        if len(kept) >= _MAX_PROTECTED:
            return value
        kept.append(value)
        return f"\x00{chr(97 + len(kept) - 1)}\x00"

    text = text.replace("\x00", "")
    if "://" in text:
        text = _URL.sub(lambda found: protect(route_template(found.group(0))), text)
    text = text.strip()
    if "'" in text or '"' in text or "`" in text:
        text = _IDENTITY.sub(lambda found: _keep_identity(found, protect), text)
    present = set(text)
    if _HAS_DIGIT(text) is not None:
        present.add(DIGIT)
    for pattern, placeholder, needs in _MASKS:
        if needs == DIGIT:
            if DIGIT in present:
                text = pattern.sub(placeholder, text)
        elif not present.isdisjoint(needs):
            text = pattern.sub(placeholder, text)
    if kept:
        text = _SENTINEL.sub(lambda found: kept[ord(found.group(1)) - 97], text)
    return _SPACES.sub(" ", text).strip()
