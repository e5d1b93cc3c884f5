"""
The verdict cache of a :class:`~airflow_errorguard.classification.classifier.Classifier`.

Repeated failures (the same poison value, the same outage) are the common case. A verdict depends
on the exception chain's **facts** (each link's class, HTTP status, SQLSTATE, errno, driver and
service codes, the settings loader that raised a parse or validation error -- ``raised_in``, read
only for the classes whose meaning depends on it, which have no quick key --, the settings-reading
call site that raised a plain ``ValueError``/``TypeError``/``KeyError`` -- ``call_site``, which the
quick key holds too --, how the links wrap each other), on the task's scope when rules are scoped, and
sometimes on a lazily read fact (the message for a message rule, a message pattern or an unknown
verdict; the host in an HTTP reason). The cache key holds the eager facts and the scope, never
the message; an entry records which lazy facts its decision read, with their values, and is used
only when the new exception has the same values there. A hit skips matching and rebuilds the
:class:`~airflow_errorguard.classification.model.Classification` from the cached decision and the
new exception's own facts (its fingerprint, signals and ``Retry-After``), so a cached verdict is
always the one a fresh classification would give.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from operator import attrgetter
from typing import Any

from airflow_errorguard.classification.cached_decision import (
    Decision,
    QuickHit,
    put_variant,
    unprintable,
)
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.quick_key import QUICK_LAZY
from airflow_errorguard.classification.safe_read import MAX_MESSAGE
from airflow_errorguard.classification.signals import LinkFacts

#: Keys per classifier (a few hundred bytes each).
MAX_ENTRIES = 2048
#: Decisions kept per key when they read different lazy values (messages, hosts).
MAX_VARIANTS = 4

#: ``LinkFacts`` slots that are not facts of the exception (objects, caches, the chain itself).
_NOT_FACTS = frozenset({"exc", "now", "plan", "paths", "values", "signals", "response", "children"})
#: Eager facts: every public slot, so a fact added to ``LinkFacts`` is part of the key by itself.
FACT_SLOTS: tuple[str, ...] = tuple(
    sorted(s for s in LinkFacts.__slots__ if not s.startswith("_") and s not in _NOT_FACTS)
)
#: Lazily read facts: private slots ``_name`` behind a property ``name``.
LAZY_SLOTS: tuple[str, ...] = tuple(sorted(s for s in LinkFacts.__slots__ if s.startswith("_")))
#: ``(slot, property)`` of the lazy facts that can be read back, and the slots that cannot.
_READABLE = tuple((s, s[1:]) for s in LAZY_SLOTS if isinstance(getattr(LinkFacts, s[1:], None), property))
_UNREADABLE = tuple(s for s in LAZY_SLOTS if not isinstance(getattr(LinkFacts, s[1:], None), property))
_facts_of = attrgetter(*FACT_SLOTS)
_UNREAD = object()
_new_hit = object.__new__


def chain_key(links: Sequence[LinkFacts], scope: tuple[str | None, str | None] | None) -> Hashable:
    """The eager facts of the chain, its shape and *scope*; raises ``TypeError`` if unhashable."""
    if len(links) == 1 and not links[0].children:  # the common case: a lone exception
        top = links[0]
        key: Hashable = (scope, ((type(top.exc), _facts_of(top), ()),))
    else:
        index = {id(facts.exc): position for position, facts in enumerate(links)}
        key = (
            scope,
            tuple(
                (
                    type(facts.exc),
                    _facts_of(facts),
                    tuple((index.get(id(child), -1), kind) for child, kind in facts.children),
                )
                for facts in links
            ),
        )
    hash(key)
    return key


def lazy_reads(links: Sequence[LinkFacts]) -> tuple[tuple[int, str, Any], ...] | None:
    """The lazy facts read so far (``None`` when one cannot be read back through its property)."""
    reads = []
    for position, facts in enumerate(links):
        for slot, name in _READABLE:
            value = getattr(facts, slot, _UNREAD)
            if value is not _UNREAD and type(value) is not object:  # read (not the _MISSING sentinel)
                reads.append((position, name, value))
        for slot in _UNREADABLE:
            value = getattr(facts, slot, _UNREAD)
            if value is not _UNREAD and type(value) is not object:
                return None
    return tuple(reads)


def decision_of(
    verdict: Classification,
    links: Sequence[LinkFacts],
    facts: LinkFacts,
    reads: tuple[tuple[int, str, Any], ...],
    *,
    with_retry_after: bool,
) -> Decision | None:
    """The cacheable form of *verdict*, decided on *facts* of *links* (``None``: not cacheable)."""
    position = next((i for i, link in enumerate(links) if link is facts), None)
    head, sep, _ = verdict.fingerprint_source.rpartition(": " + facts.message)
    if position is None or not sep or _:
        return None
    return Decision(verdict, position, head, with_retry_after, reads)


def _quick_read(name: str, value: Any) -> bool:
    """Whether a quick hit can check this lazy read again: the message, or a fact it knows is ``None``."""
    return name in QUICK_LAZY and (value is None or name == "message")


class VerdictCache:
    """
    Bounded map of chain keys to :class:`Decision` (oldest key evicted first). A key keeps up to
    :data:`MAX_VARIANTS` decisions that read different lazy values (e.g. two messages of one class
    that message rules tell apart), most recent first.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[Hashable, list[Decision]] = {}
        self._quick: dict[Hashable, list[tuple[Decision, dict[str, Any]]]] = {}
        #: Classes of the exceptions decisions were cached for: only those try a quick key (while
        #: ``True``: ``False`` once one had none), so a failure never seen before pays nothing for it.
        self.seen: dict[type, bool] = {}
        self.hits = 0
        self.misses = 0
        self.quick_hits = 0
        """Hits served by a quick key (counted in ``hits`` too)."""
        self.table_hits = 0
        """Verdicts served by a compiled class table (:mod:`.class_table`; not counted in ``hits``)."""

    def get(self, key: Hashable, links: Sequence[LinkFacts]) -> Decision | None:
        """The decision cached for *key* that holds for *links*, if any."""
        for decision in self._entries.get(key, ()):
            if decision.holds_for(links):
                self.hits += 1
                return decision
        self.misses += 1
        return None

    def put_seen(self, kind: type) -> None:
        """A decision was taken on an exception of class *kind*: its next ones try the quick key."""
        seen = self.seen
        if len(seen) >= self.max_entries:
            seen.clear()
        seen.setdefault(kind, True)

    def no_quick_key(self, kind: type) -> None:
        """Exceptions of class *kind* hold objects in their signal attributes: do not try a quick key."""
        if len(self.seen) >= self.max_entries:
            self.seen.clear()
        self.seen[kind] = False

    def put(self, key: Hashable, decision: Decision, kind: type | None = None) -> None:
        """Cache *decision* under *key* (for an exception of class *kind*), evicting the oldest key."""
        if kind is not None:
            self.put_seen(kind)
        put_variant(self._entries, key, decision, max_entries=self.max_entries, max_variants=MAX_VARIANTS)

    def quick_get(self, key: Hashable, chain: Sequence[BaseException]) -> Classification | None:
        """The verdict cached for a quick *key* (see :mod:`.quick_key`) that holds for *chain*."""
        found = self.quick_lookup(key, chain)
        return None if found is None else found.verdict

    def quick_lookup(
        self, key: Hashable, chain: Sequence[BaseException], memo: list[str] | None = None
    ) -> QuickHit | None:
        """
        The decision cached for a quick *key* that holds for *chain*, its verdict not built yet.

        :param memo: The message of ``chain[0]`` once read (``[]`` until then; filled here when a
            variant reads it), so one classification reads it once however many variants compare it.
        """
        variants = self._quick.get(key)
        if variants is None:
            return None
        if memo is None:
            memo = []
        for decision, signals in variants:
            reads = decision.reads
            if reads:
                index, name, value = reads[0]
                if len(reads) == 1 and name == "message" and not index:
                    # the common read, inlined: the message of a lone exception (a compiled
                    # verdict's); a mismatch is final (no second look through holds_for_chain).
                    # first_message(chain, memo), inlined too: one call less on every repeat.
                    if memo:
                        message = memo[0]
                    else:  # safe_str(chain[0]), inlined but for a str() that raises
                        try:
                            message = str(chain[0])
                        except BaseException as err:
                            message = unprintable(chain[0], err)
                        if type(message) is not str or len(message) > MAX_MESSAGE:
                            message = message[:MAX_MESSAGE]  # an exact str, as safe_str's
                        memo.append(message)
                    if message != value:
                        continue
                elif not decision.holds_for_chain(chain, memo):
                    continue
            self.hits += 1
            self.quick_hits += 1
            position = decision.position
            hit = _new_hit(QuickHit)  # quick_hit(), inlined: every repeat the quick key serves builds one
            hit.decision = decision
            hit._verdict = None
            hit.signals = signals
            hit.decided_on = chain[position]
            hit.message = memo[0] if memo and not position else None
            return hit
        return None

    def quick_put(
        self,
        key: Hashable,
        chain: Sequence[BaseException],
        links: Sequence[LinkFacts],
        decision: Decision,
        verdict: Classification,
    ) -> None:
        """Cache *decision* under a quick *key* too, when a quick hit can rebuild *verdict* exactly."""
        if (
            verdict.retry_after is not None
            or len(chain) != len(links)
            or any(facts.exc is not exc for facts, exc in zip(links, chain, strict=True))
            or not all(_quick_read(name, value) for _, name, value in decision.reads)
        ):
            return
        self._quick_store(key, decision, dict(verdict.signals))

    def file_compiled(self, key: Hashable, hit: QuickHit, message: str) -> None:
        """
        Cache a compiled class table's verdict that read the *message* (a message pattern, the TLS
        and unknown-host checks) under its quick *key*, on its class's second sighting: a repeat
        then compares its message instead of scanning and checking it (the same key and message
        give the same verdict). The first sighting only marks the class as seen.
        """
        kind = type(hit.decided_on)
        if not self.seen.get(kind):
            self.put_seen(kind)
            return
        compiled = hit.decision
        decision = Decision(compiled.verdict, 0, compiled.head, False, ((0, "message", message),))
        self._quick_store(key, decision, hit.signals)

    def _quick_store(self, key: Hashable, decision: Decision, signals: dict[str, Any]) -> None:
        put_variant(
            self._quick, key, (decision, signals), max_entries=self.max_entries, max_variants=MAX_VARIANTS
        )

    def clear(self) -> None:
        """Forget every entry (the rules changed)."""
        self._entries.clear()
        self._quick.clear()
        self.seen.clear()

    def __len__(self) -> int:
        return len(self._entries)
