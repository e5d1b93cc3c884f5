"""
A retry policy's table of repeated failures: a repeat decided without going through ``resolve``.

When :meth:`.Classifier.resolve` serves an exception by its quick key with a decision that says
everything it depends on (its class and plain signal values, which the key holds, and the message
when :attr:`.Decision.reads` holds it), :class:`~airflow_errorguard.retry.policy.ErrorGuardRetryPolicy`
keeps that decision and its :class:`.DecisionPlan` under the key. The next exception with the same
quick key and the same message read is that decision again: one quick key, one dict look-up, one
message compare, then the plan's draw. Anything else (no key, another message, a decision that read
a host or a ``Retry-After``) goes the usual way. The table belongs to one classifier's cache and one
generation of it: a classifier swapped, its rules or plugins changed (they clear its cache) and the
table starts again, so it never holds a decision the classifier would no longer take.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from airflow_errorguard.classification.cached_decision import Decision, QuickHit
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.quick_key import quick_key
from airflow_errorguard.classification.safe_read import safe_str
from airflow_errorguard.classification.verdict_cache import VerdictCache
from airflow_errorguard.retry.decision_plan import DecisionPlan

#: Keys kept per policy (one per repeated failure met), bounded.
MAX_REPEATS = 1024


class RepeatTable:
    """Quick key → ``(decision, plan, signals)`` for one classifier's cache, one generation of it."""

    __slots__ = ("cache", "entries", "generation", "kinds")

    def __init__(self) -> None:
        self.cache: VerdictCache | None = None
        self.generation = -1
        self.entries: dict[Hashable, tuple[Decision, DecisionPlan, dict[str, Any]]] = {}
        #: Classes of the exceptions kept: only those compute a quick key here (no cost for others).
        self.kinds: set[type] = set()

    def lookup(
        self, classifier: Classifier, exc: BaseException, context: Mapping[str, Any] | None
    ) -> tuple[QuickHit, DecisionPlan] | None:
        """The hit and plan kept for *exc*'s quick key when its reads hold for *exc*, else ``None``."""
        if type(exc) not in self.kinds:
            return None
        cache = classifier.cache
        if cache is not self.cache or cache.generation != self.generation:
            return None
        found = quick_key(exc, classifier.scope_of(context))
        if found is None:
            return None
        kept = self.entries.get(found[0])
        if kept is None:
            return None
        decision, plan, signals = kept
        chain = found[1]
        message = None
        reads = decision.reads
        if reads:
            index, name, value = reads[0]
            if len(reads) == 1 and name == "message" and not index:  # the common read: inlined
                message = safe_str(exc)
                if message != value:
                    return None
            elif not decision.holds_for_chain(chain):
                return None
        cache.hits += 1
        cache.quick_hits += 1
        position = decision.position
        return QuickHit(decision, signals, chain[position], None if position else message), plan

    def keep(
        self, classifier: Classifier, generation: int, exc: BaseException, hit: QuickHit, plan: DecisionPlan
    ) -> None:
        """Keep *hit* (*exc* resolved) and *plan* under its quick key (when it has one); *generation*:
        the classifier cache's before *exc* was resolved (a clear meanwhile: not kept)."""
        key = hit.key
        cache = classifier.cache
        if key is None or cache.generation != generation:
            return
        if cache is not self.cache or generation != self.generation:
            self.cache = cache
            self.generation = generation
            self.entries.clear()
            self.kinds.clear()
        entries = self.entries
        if len(entries) >= MAX_REPEATS:
            entries.clear()
            self.kinds.clear()
        entries[key] = (hit.decision, plan, hit.signals)
        self.kinds.add(type(exc))


__all__ = ["MAX_REPEATS", "RepeatTable"]
