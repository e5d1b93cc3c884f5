"""
The verdict cache's by-shape tier: verdicts remembered by message *shape*, for bad records, which
mostly differ only in the values their messages quote (``record 17 is not valid``, ``record 42 ...``).

The verdict cache (:mod:`.verdict_cache`) keeps one variant per distinct message, so each such
record would be classified cold. This tier, one per guarded run (the guard's bad-record path puts
it in front of its classifier; it holds only what that classifier decided), keys a verdict by what
the built-in classification can read of a lone exception with plain signal values (its quick key:
class and codes, and the ``call_site`` fact of a plain ``ValueError``) and the message's *shape*
(digits 1-9 written ``1``); a verdict by message pattern also by the text the pattern matched
(``message_scan.search``: its reason quotes it). It
is used only when that is all a verdict can depend on:

- the classifier is a plain :class:`.Classifier`: no user rules (their regexes may read digits), no
  plugin classifiers, its verdict cache on;
- the exception has a quick key and no cause or context (no other message is read);
- its lower-cased message holds none of :data:`.message_scan.SEEING_NEEDS` (the patterns that read
  digit values are then known not to match; the others match by shape), up to 2,000 characters
  (what the classifier reads); the remembered verdict is a data error that quarantines, with no
  ``Retry-After``, and its fingerprint source ends with the message (the head: class and codes).

Every other message read of the built-ins (the TLS and unknown-host hints) is digit-blind
(``tests/guard/test_verdict_memo.py`` checks it with :func:`.message_scan.reads_digit_values`,
and compares the memo's verdicts with :meth:`.Classifier.classify`'s on a mixed workload). A hit
is the remembered verdict for this exception: its own fingerprint source (class and codes, then
its message), the rest equal. Its fingerprint is shared by shape only under ``mask_message``'s own
rule for that (no digit 1-9 left after masking, no bracketed URL host); then the guard builds the
quarantine item from :class:`Known` alone, without a :class:`.Classification`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any, NamedTuple

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.fingerprint import mask_message
from airflow_errorguard.classification.message_scan import SEEING_NEEDS, search
from airflow_errorguard.classification.model import Classification, ErrorAction, ErrorCategory
from airflow_errorguard.classification.quick_key import _signature
from airflow_errorguard.classification.safe_read import MAX_MESSAGE

#: Shapes remembered per run (bounded: once full, new shapes go to the classifier).
MAX_SHAPES = 4096
_ONES = bytes.maketrans(b"23456789", b"11111111")
_NEEDS: tuple[str, ...] = SEEING_NEEDS or ()
_NONZERO_DIGIT = re.compile("[1-9]").search


class Known(NamedTuple):
    """A remembered verdict; with a shared fingerprint it is all a quarantine item needs of it."""

    verdict: Classification
    head: str  # the fingerprint source's class and codes, then ": "
    scan: Any  # what ``message_scan.search`` found, when the verdict quotes it (a message pattern)
    fingerprint: str | None  # shared when every message of the shape masks alike
    category: str  # the verdict's category and reason, as a quarantine item stores them
    reason: str


class VerdictMemo:
    """``classify(exc, scope)``: *classifier*'s verdict, remembered by message shape where exact."""

    __slots__ = ("_known", "_on", "_unshared", "classifier", "hits")

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.hits = 0
        self._known: dict[Hashable, Known] = {}
        self._unshared: set[Hashable] = set()  # keys whose verdict cannot be shared
        # SEEING_NEEDS is None when the digit-reading patterns have no required literal: never exact.
        self._on = type(classifier) is Classifier and SEEING_NEEDS is not None

    def _key(self, exc: BaseException) -> tuple[Hashable, str, str] | None:
        """``(key, message, lower-cased message)`` of *exc*; ``None`` when its verdict may depend on more."""
        classifier = self.classifier
        if not classifier._plain or not classifier._cache.max_entries:  # rules, plugins, no cache
            return None
        # quick_key(exc, None) of a lone exception (no rules: the classifier keys no scope), inlined:
        # a chained one (a cause, or a context, hidden or not) is never served here.
        if exc.__cause__ is not None or exc.__context__ is not None:
            return None
        signature = _signature(exc)
        if signature is None:
            return None
        message = str(exc)
        if type(message) is not str or len(message) > MAX_MESSAGE:  # the classifier reads it whole
            return None
        lowered = message.lower()
        for need in _NEEDS:
            if need in lowered:
                return None
        shape = lowered.encode("utf-8", "surrogatepass").translate(_ONES)
        return (type(exc), signature, shape), message, lowered

    def classify(self, exc: BaseException, scope: Any = None) -> Classification:
        """What ``classifier.classify(exc, scope)`` returns (the same verdict, read by shape when exact)."""
        verdict, message, known = self.lookup(exc, scope)
        if verdict is None:
            assert known is not None and message is not None
            verdict = self._verdict(known, message)
        return verdict

    def lookup(
        self, exc: BaseException, scope: Any = None
    ) -> tuple[Classification | None, str | None, Known | None]:
        """
        ``(verdict, str(exc) when read, None)``; or ``(None, str(exc), known)`` for a remembered data
        verdict whose fingerprint is this exception's too (``known`` is what its quarantine item
        needs: no :class:`.Classification` is built).
        """
        if not self._on:
            return self.classifier.classify(exc, scope), None, None
        try:
            keyed = self._key(exc)
        except Exception:  # a hostile exception: the classifier copes with it
            keyed = None
        if keyed is None:
            return self.classifier.classify(exc, scope), None, None
        key, message, lowered = keyed
        known = self._known.get(key)
        if known is not None and (known.scan is None or search(lowered) == known.scan):
            self.hits += 1
            if known.fingerprint is not None:
                return None, message, known
            return self._verdict(known, message), message, None
        verdict = self.classifier.classify(exc, scope)
        if known is None and key not in self._unshared and len(self._known) < MAX_SHAPES:
            self._remember(key, verdict, message, lowered)
        return verdict, message, None

    @staticmethod
    def _verdict(known: Known, message: str) -> Classification:
        """The remembered verdict for an exception with *message*: its own fingerprint source."""
        verdict = known.verdict.for_exception(None, known.verdict.signals, known.head + message)
        if known.fingerprint is not None:
            verdict.__dict__["fingerprint"] = known.fingerprint  # the cached_property's value
        return verdict

    def _remember(self, key: Hashable, verdict: Classification, message: str, lowered: str) -> None:
        source = verdict.fingerprint_source
        if (
            verdict.action is not ErrorAction.QUARANTINE
            or verdict.category is not ErrorCategory.DATA
            or verdict.retry_after is not None
            or not source.endswith(": " + message)
        ):
            self._unshared.add(key)
            return
        scan = search(lowered) if verdict.rule.startswith("builtin:message:") else None
        fingerprint = None
        if source.partition(": ")[2] == message:  # the fingerprint masks this very message
            masked = mask_message(message)
            if _NONZERO_DIGIT(masked) is None and not ("[" in message and "://" in message):
                fingerprint = verdict.fingerprint  # mask_message's own rule for one mask per shape
        head = source[: len(source) - len(message)]
        self._known[key] = Known(verdict, head, scan, fingerprint, str(verdict.category), verdict.reason)


__all__ = ["Known", "VerdictMemo"]
