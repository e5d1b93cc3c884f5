"""
The built-in message patterns' scan, done once per message *shape*: exactly what
``MESSAGE_REGEX.search`` finds, without scanning again a message that differs from one already
scanned only in its digits 1-9 (``record 17 is not valid``, ``record 42 is not valid``).

The patterns' top-level alternatives are split in two sets, in their order:

- **digit-blind** ones: no digit 1-9 in their source (once ``{m,n}`` quantifiers are set aside), no
  ``\\N{...}`` escape, no back-reference by name. Such an alternative reads a digit 1-9 only
  through a character class that holds all of them or none (``\\d``, ``\\w``, ``.``, ``[a-z]``,
  ``[!-~]``: the digits 1-9 are contiguous code points), so on a text and on its shape (every
  digit 1-9 written ``1``; ``0`` is kept) it matches at the same places. Their scan is remembered
  by shape: where (start, end) and which alternative matched.
- the others (``401 unauthorized``, ``tlsv1``): a short regex, run only on a text that holds one
  of the literal runs they require (:data:`SEEING_NEEDS`; a text without any cannot match them).

The combined regex returns the leftmost match, and at one position the first alternative in order
that matches there; so does the pair of scans (leftmost of the two, the earlier alternative on a
tie), and each alternative's matched text is its own. ``tests/unit/classification/
test_message_scan.py`` checks the result equals ``MESSAGE_REGEX.search``'s.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

from airflow_errorguard.classification.knowledge_messages import MESSAGE_REGEX, MESSAGES

#: The regex parser (``re._parser`` from Python 3.11, ``sre_parse`` before): read for the literals
#: an alternative requires, never for matching.
_parser: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")

#: Digits 1-9 written ``1`` in a text's UTF-8 bytes: its shape (an ASCII digit byte never occurs
#: inside a multi-byte character; bytes translate fastest).
_ONES = bytes.maketrans(b"23456789", b"11111111")
_QUANTIFIER = re.compile(r"\{\d*,?\d*\}")
_READS_DIGIT_VALUES = re.compile(r"[1-9]|\\N\{|\(\?P=")
#: Scans remembered by shape (bounded: once full, new shapes are scanned each time).
_MAX_SHAPES = 4096
_MAX_LENGTH = 2000


def _class_end(source: str, i: int) -> int:
    """The index of the ``]`` closing the character class opened at ``source[i]`` (a ``[``)."""
    i += 1
    i += source[i : i + 1] == "^"
    i += source[i : i + 1] == "]"  # a "]" first in a class is a member
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i


def top_level_alternatives(source: str) -> list[str]:
    """*source* split at its top-level ``|`` (outside groups and character classes)."""
    found: list[str] = []
    depth, i, begin = 0, 0, 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 1
        elif char == "[":
            i = _class_end(source, i)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            found.append(source[begin:i])
            begin = i + 1
        i += 1
    found.append(source[begin:])
    return found


def reads_digit_values(alternative: str) -> bool:
    """
    Whether *alternative* may tell one digit 1-9 from another: a digit 1-9 anywhere in its source
    but in a ``{m,n}`` quantifier (outside classes: ``[{1}]`` is a class holding ``1``), a
    ``\\N{...}`` escape, or a back-reference by name.
    """
    kept: list[str] = []
    i = 0
    while i < len(alternative):
        char = alternative[i]
        if char == "\\":
            kept.append(alternative[i : i + 2])
            i += 2
            continue
        if char == "[":
            end = _class_end(alternative, i)
            kept.append(alternative[i : end + 1])
            i = end + 1
            continue
        quantifier = _QUANTIFIER.match(alternative, i) if char == "{" else None
        if quantifier is not None:
            i = quantifier.end()
            continue
        kept.append(char)
        i += 1
    return _READS_DIGIT_VALUES.search("".join(kept)) is not None


#: Every alternative in order, with the index of the pattern it belongs to.
ALTERNATIVES: tuple[tuple[int, str], ...] = tuple(
    (index, alternative)
    for index, (source, _) in enumerate(MESSAGES)
    for alternative in top_level_alternatives(source)
)


def _regex(blind: bool) -> re.Pattern[str] | None:
    parts = [
        f"(?P<a{k}>{alternative})"
        for k, (_, alternative) in enumerate(ALTERNATIVES)
        if reads_digit_values(alternative) is not blind
    ]
    return re.compile("|".join(parts)) if parts else None


#: A pattern referring to a group by number or by a condition cannot be split into alternatives
#: (the numbers would move): the scan is then the combined regex's, every time.
SPLIT = not any(re.search(r"\\\d|\(\?\(|\(\?P=", source) for source, _ in MESSAGES)
_BLIND = _regex(blind=True) if SPLIT else None
_SEEING = _regex(blind=False) if SPLIT else MESSAGE_REGEX
_BY_SHAPE: dict[bytes, tuple[int, int, int] | None] = {}


def required_literal(alternative: str) -> str | None:
    """
    The longest run of characters every match of *alternative* contains: consecutive literal
    characters of its top-level sequence (each must match itself: no case-insensitive flag).
    ``None`` when there is none or it cannot be parsed (then nothing is skipped for it).
    """
    try:
        parsed = _parser.parse(alternative)
        if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
            return None
        runs, run = [], []
        for op, value in parsed:
            if op is _parser.LITERAL:
                run.append(chr(value))
            else:
                runs.append("".join(run))
                run = []
        runs.append("".join(run))
    except Exception:  # a private module's parse: anything odd means no shortcut
        return None
    return max(runs, key=len) or None


def _needs(regex_alternatives: list[str]) -> tuple[str, ...] | None:
    """What a text must contain for one of *regex_alternatives* to match in it: one of these
    literals (``None``: an alternative without one, every text is scanned)."""
    found = [required_literal(alternative) for alternative in regex_alternatives]
    return None if not found or None in found else tuple(dict.fromkeys(f for f in found if f))


#: The literals one of which a text holds when the digit-reading scan can match in it: the text
#: holds none of them (the common case: no ``401 unauthorized``, no ``tlsv1``) and that regex is
#: not run, with the result it would give, ``None``.
SEEING_NEEDS = (
    _needs([a for _, a in ALTERNATIVES if reads_digit_values(a)]) if SPLIT and _SEEING is not None else None
)


def _first(regex: re.Pattern[str] | None, text: str) -> tuple[int, int, int] | None:
    found = regex.search(text) if regex is not None else None
    if found is None or found.lastgroup is None:
        return None
    return found.start(), found.end(), int(found.lastgroup[1:])


def search(lowered: str) -> tuple[int, str] | None:
    """
    The pattern *lowered* (a lower-cased message) matches, as ``(pattern index, matched text)``;
    ``None`` if none: what ``MESSAGE_REGEX.search`` finds (its ``lastgroup`` and ``group(0)``).
    """
    if not SPLIT:
        blind = None
    elif len(lowered) > _MAX_LENGTH:
        blind = _first(_BLIND, lowered)
    else:
        shape = lowered.encode("utf-8", "surrogatepass").translate(_ONES)
        try:
            blind = _BY_SHAPE[shape]
        except KeyError:
            blind = _first(_BLIND, lowered)
            if len(_BY_SHAPE) < _MAX_SHAPES:
                _BY_SHAPE[shape] = blind
    needs = SEEING_NEEDS
    if needs is None:
        seeing = _first(_SEEING, lowered)
    else:
        seeing = None
        for need in needs:  # ``need in lowered``: a C substring search, far cheaper than the regex
            if need in lowered:
                seeing = _first(_SEEING, lowered)
                break
    if blind is None or (seeing is not None and (seeing[0], seeing[2]) < (blind[0], blind[2])):
        blind = seeing
    if blind is None:
        return None
    start, end, k = blind
    return (ALTERNATIVES[k][0] if SPLIT else k), lowered[start:end]
