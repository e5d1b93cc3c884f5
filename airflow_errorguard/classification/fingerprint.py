"""Masking of volatile message parts so the same failure gets the same fingerprint across runs."""

from __future__ import annotations

import re

_MAX_SOURCE = 2000

# Order matters: the wider shapes are masked before the numbers inside them.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I), "<url>"),
    (re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"), "<email>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<ts>"),
    (re.compile(r"'(?:[^'\\]|\\.){0,200}'|\"(?:[^\"\\]|\\.){0,200}\"|`[^`]{0,200}`"), "<str>"),
    (re.compile(r"(?<![\w<])(?:[A-Za-z]:\\|~?/)[\w.\-/\\]+"), "<path>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)
_SPACES = re.compile(r"\s+")


def mask_message(text: str) -> str:
    """
    Return *text* with volatile values masked.

    URLs, e-mail addresses, UUIDs, timestamps, quoted values, paths, IP addresses, hex ids and
    numbers become placeholders such as ``<n>``; whitespace is collapsed.
    """
    text = text[:_MAX_SOURCE]
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    return _SPACES.sub(" ", text).strip()
