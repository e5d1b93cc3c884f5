"""
Compiled per-class decision tables: the cold path of a lone exception whose facts a quick key reads.

For a lone exception (no cause, no context) whose signal attributes hold plain values (see
:mod:`.quick_key`), every fact is a function of its class and those values, so the built-in
verdict **by codes and class** is too. The first exception of a class with given values compiles
that verdict into a :class:`ClassEntry`; the next ones, never seen before or not, are a table
lookup instead of the general signal extraction, and their verdict is built only when read.

An entry is compiled only when codes or class decide alone (confidence at least
:data:`.builtin.MESSAGE_SCAN_BELOW`, so no message pattern is read). What still depends on the
message is checked on every exception: a transient or unknown verdict without a response gives way
to a TLS verification failure or an unknown host its message reveals (the general path then
decides). The table holds knowledge, not verdicts on failures: it is keyed by class and code values,
never by message, and used only by classifiers without user rules or plugin classifiers, which
could read anything. Clearing a classifier's verdict cache leaves it, like the class plans.
"""

from __future__ import annotations

from collections.abc import Hashable

from airflow_errorguard.classification.builtin import (
    MESSAGE_SCAN_BELOW,
    Candidate,
    match_known,
    message_match,
)
from airflow_errorguard.classification.cached_decision import Decision, QuickHit, evict_oldest, first_message
from airflow_errorguard.classification.chain import traceback_verdict
from airflow_errorguard.classification.misconfiguration import (
    tls_problem_said,
    tls_verification_type,
    unknown_host_coded,
    unknown_host_said,
)
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.safe_read import safe_str
from airflow_errorguard.classification.signals import LinkFacts
from airflow_errorguard.classification.verdict_cache import lazy_reads
from airflow_errorguard.classification.verdicts import fingerprint_head, verdict_of

#: Entries kept (class and code values seen in this process).
MAX_ENTRIES = 4096
#: Verdicts a TLS verification failure or an unknown host in the message overrides.
_OVERRIDABLE = frozenset({ErrorCategory.TRANSIENT, ErrorCategory.UNKNOWN})


class ClassEntry:
    """The compiled verdict of one class with given signal values, and what is left to read."""

    __slots__ = (
        "by_match",
        "facts",
        "known",
        "known_confidence",
        "reads_message",
        "scan",
        "signals",
        "tls_check",
    )

    def __init__(self, facts: LinkFacts, known: Candidate | None) -> None:
        self.facts = facts
        """The facts of the exception it was compiled on (the same for every exception of the entry)."""
        self.known = _decision(known, facts) if known is not None else None
        """The verdict by codes and class, if any."""
        self.known_confidence = known.confidence if known is not None else 0.0
        self.scan = known is None or known.confidence < MESSAGE_SCAN_BELOW
        """Whether the message is read for a pattern (codes and class are not confident enough)."""
        self.signals = facts.as_dict()
        self.tls_check = facts.http_status is None and facts.sqlstate is None
        """Whether a transient or unknown verdict gives way to a TLS failure or an unknown host the
        message reveals (an exception that carries a response got past TLS and name resolution)."""
        self.by_match: dict[tuple[int, str], Decision] = {}
        """Verdicts by message pattern and matched text (bounded)."""
        self.reads_message = self.scan or (
            self.tls_check and known is not None and known.category in _OVERRIDABLE
        )

    def decision_for(self, message: str) -> Decision | None:
        """The verdict on an exception of this entry with *message*; ``None``: the general path decides."""
        decision = self.known
        if self.scan:
            found = message_match(message, self.facts.paths)
            if found is not None and (decision is None or found.confidence > self.known_confidence):
                key = (found.index, found.snippet)
                decision = self.by_match.get(key)
                if decision is None:
                    decision = _decision(found.candidate(self.facts), self.facts)
                    if len(self.by_match) < _MAX_MATCHES:
                        self.by_match[key] = decision
        if decision is None:
            return None  # unknown: its reason quotes the message
        if (
            self.tls_check
            and decision.verdict.category in _OVERRIDABLE
            and (tls_problem_said(self.facts.paths, message) is not None or unknown_host_said(message))
        ):
            return None
        return decision


#: Matched texts kept per entry.
_MAX_MATCHES = 64


def _decision(candidate: Candidate, facts: LinkFacts) -> Decision:
    verdict = verdict_of(candidate, facts)
    return Decision(verdict, 0, fingerprint_head(facts.type_path, facts), False, ())


_TABLE: dict[Hashable, ClassEntry | None] = {}


def compiled_verdict(
    exc: BaseException, key: Hashable, memo: list[str] | None = None
) -> tuple[QuickHit, str | None] | None:
    """
    The verdict on the lone exception *exc* of quick key *key* by its compiled entry (built when
    read), and its message when the verdict read it (a message pattern, or the TLS and unknown-host
    checks of a transient or unknown verdict); ``None`` when the general path decides (no entry, or
    its message overrides the entry). *memo*: *exc*'s message if this classification read it already
    (see :func:`.cached_decision.first_message`).
    """
    try:
        entry = _TABLE[key]
    except KeyError:  # first sight of this class with these values
        entry = _compile(exc, key)
    if entry is None:
        return None
    if not entry.reads_message:
        return None if entry.known is None else (QuickHit(entry.known, entry.signals, exc), None)
    message = safe_str(exc) if memo is None else first_message((exc,), memo)
    decision = entry.decision_for(message)
    if decision is None:
        return None
    return QuickHit(decision, entry.signals, exc, message), message


def _compile(exc: BaseException, key: Hashable) -> ClassEntry | None:
    entry = None
    facts = LinkFacts(exc)
    if not facts.children:
        known = traceback_verdict(facts) or match_known(facts)  # a call site, in the key, first
        reads = lazy_reads([facts])
        # No host in a reason, no Retry-After; no TLS or unknown host said by class or code alone.
        if (
            reads is not None
            and all(value is None for _, _, value in reads)
            and not tls_verification_type(facts.paths)
            and not unknown_host_coded(facts.errno, facts.paths)
        ):
            entry = ClassEntry(facts, known)
            _detach(facts)
    evict_oldest(_TABLE, MAX_ENTRIES)
    _TABLE[key] = entry
    return entry


#: What a compiled entry's facts point to instead of the exception they were read from.
_DETACHED = Exception("the exception a class table entry was compiled on (not kept)")


def _detach(facts: LinkFacts) -> None:
    """Let the exception go (its traceback, frames and attributes): an entry keeps only facts."""
    _ = facts.message, facts.retry_after, facts.as_dict()  # every lazy fact read now, from it
    facts.exc = _DETACHED
    facts.values = {}


def clear() -> None:
    """Forget every compiled entry (tests)."""
    _TABLE.clear()


__all__ = ["MAX_ENTRIES", "ClassEntry", "clear", "compiled_verdict"]
