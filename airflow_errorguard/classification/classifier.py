"""
:class:`Classifier`: user rules, plugin classifiers and built-in knowledge applied to an exception
and its chain.

Precedence, highest first:

1. **User rules**, in declaration order; each is tried on the exception, then on the errors it
   wraps (``__cause__``, ``orig``, ``reason``...), then on ``__context__`` and group members.
2. **Plugin classifiers** from the ``airflow_errorguard.classifiers`` entry-point group.
3. **Built-in knowledge**. Every exception of the chain gets its strongest verdict, where a service
   or database code (cloud code, SQLSTATE, driver code, HTTP status, errno) outranks the
   exception's class when more confident; the message is read only when neither reaches 0.8, so
   a message pattern refines a broad class (``OperationalError`` saying "password authentication
   failed" is configuration) but never overrides a specific one; the most confident verdict of the chain wins
   (on ties the more specific: an explicit inner cause over its wrapper). An implicit ``__context__``
   counts for 85% of its confidence, an explicit cause in full. Members of an ``ExceptionGroup``
   are combined by severity: configuration > system > data > unknown > transient.
4. **TLS verification** failures (untrusted, expired or wrong-host certificates) and **unknown host
   names** (``EAI_NONAME``) anywhere in the chain, even in a ``__context__`` suppressed with
   ``raise ... from None``, make the verdict configuration: retrying a misconfiguration forever is
   the worst outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any

from airflow_errorguard.classification.builtin import Candidate
from airflow_errorguard.classification.cached_decision import CachedVerdict, chain_hit
from airflow_errorguard.classification.chain import (
    CONTEXT_WEIGHT,
    MAX_DEPTH,
    MAX_LINKS,
    builtin_verdict,
    chain_links,
    hidden_context,
)
from airflow_errorguard.classification.class_table import compiled_verdict
from airflow_errorguard.classification.model import Classification, ErrorCategory
from airflow_errorguard.classification.object_table import compile_decision, compiled_decision
from airflow_errorguard.classification.quick_key import quick_key, quick_repeat
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.classification.signals import LinkFacts
from airflow_errorguard.classification.verdict_cache import (
    MAX_ENTRIES,
    VerdictCache,
    chain_key,
    decision_of,
    lazy_reads,
)
from airflow_errorguard.classification.verdicts import (
    failed,
    unknown_non_exception,
    unknown_of,
    verdict_of,
)
from airflow_errorguard.task_context import task_ref

log = logging.getLogger(__name__)


PluginClassifier = Callable[[BaseException], "Classification | None"]


class Classifier:
    """
    Classifies exceptions; never raises.

    :param rules: User rules, tried in order before anything else.
    :param plugins: Extra classifiers ``(exc) -> Classification | None``, tried after the rules.
    :param now: Clock (epoch seconds) used to read HTTP-date ``Retry-After`` headers.
    :param cache_size: Entries of the verdict cache (``0``: no cache); see
        :mod:`~airflow_errorguard.classification.verdict_cache`. It never changes a verdict.
    """

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        plugins: Sequence[PluginClassifier] = (),
        now: Callable[[], float] = time.time,
        cache_size: int = MAX_ENTRIES,
    ) -> None:
        self._cache = VerdictCache(cache_size)
        self._rules: tuple[Rule, ...] = tuple(rules)
        self._plugins: tuple[PluginClassifier, ...] = tuple(plugins)
        self._scoped = any(rule.dag_id is not None or rule.task_id is not None for rule in self._rules)
        #: No user rules and no plugin classifiers: compiled class tables may decide (kept current
        #: by the setters, read on every call).
        self._plain = not self._rules and not self._plugins
        self.now = now

    @property
    def rules(self) -> tuple[Rule, ...]:
        """User rules, in order; setting them clears the verdict cache."""
        return self._rules

    @rules.setter
    def rules(self, rules: Iterable[Rule]) -> None:
        self._rules = tuple(rules)
        self._scoped = any(rule.dag_id is not None or rule.task_id is not None for rule in self._rules)
        self._plain = not self._rules and not self._plugins
        self._cache.clear()

    @property
    def plugins(self) -> tuple[PluginClassifier, ...]:
        """Plugin classifiers; setting them clears the verdict cache."""
        return self._plugins

    @plugins.setter
    def plugins(self, plugins: Sequence[PluginClassifier]) -> None:
        self._plugins = tuple(plugins)
        self._plain = not self._rules and not self._plugins
        self._cache.clear()

    @property
    def cache(self) -> VerdictCache:
        """This classifier's verdict cache (``hits``, ``misses``, ``len()``)."""
        return self._cache

    def _cache_key(self, links: list[LinkFacts], context: Mapping[str, Any] | None) -> Hashable | None:
        """The verdict cache key, or ``None`` (no cache, plugin classifiers, unhashable facts)."""
        if not self._cache.max_entries or self._plugins:
            return None  # a plugin classifier may read anything of the exception
        ids = None
        for facts in links:
            hidden = hidden_context(facts.exc)
            if hidden is not None:
                if ids is None:
                    ids = {id(link.exc) for link in links}
                if id(hidden) not in ids:
                    return (
                        None  # a context hidden by `from None` is read (TLS, host names) but not in the key
                    )
        try:
            return chain_key(links, _scope(context) if self._scoped else None)
        except TypeError:
            return None

    def classify(
        self,
        exc: BaseException,
        context: Mapping[str, Any] | None = None,
        *,
        ignore: Collection[BaseException] = (),
    ) -> Classification:
        """
        Classify *exc*; any internal failure yields an ``unknown`` classification, logged.

        :param context: The task's context (or ``{"dag_id", "task_id"}``), for scoped rules.
        :param ignore: Exceptions of the chain not to follow (earlier attempts of a retry).
        """
        found = self.resolve(exc, context, ignore=ignore)
        if isinstance(found, Classification):
            return found
        try:
            return found.verdict
        except Exception as err:
            return failed(exc, err)

    __call__ = classify

    def resolve(
        self,
        exc: BaseException,
        context: Mapping[str, Any] | None = None,
        *,
        ignore: Collection[BaseException] = (),
    ) -> Classification | CachedVerdict:
        """
        :meth:`classify`, with a verdict cache hit given back as a :class:`.CachedVerdict`: its
        ``decision.verdict`` says the category, action and reason, and its ``verdict`` (built when
        first read) is the one :meth:`classify` returns. Never raises.
        """
        try:
            if not isinstance(exc, BaseException):
                return unknown_non_exception(exc)
            quick = None
            cache = self._cache  # the warm path: every read below is a local or one attribute
            seen = cache.seen.get(type(exc))  # True: decided before; False: holds objects
            if seen and not ignore and not self._scoped:  # a lone repeat: its key and lookup, one call
                hit = quick_repeat(cache, exc)
                if hit is not None:
                    return hit
            compiles = self._plain and cache.max_entries  # no rules, no plugins: class tables apply
            if seen is not False and not ignore and (seen or compiles):
                found = quick_key(exc, _scope(context) if self._scoped else None)
                if found is None:
                    cache.no_quick_key(type(exc))  # do not try again
                else:
                    memo: list[str] = []  # exc's message, read at most once from here on
                    if seen:  # cached decisions of its class: the quick key may find this one
                        quick = found
                        hit = cache.quick_lookup(found[0], found[1], memo)
                        if hit is not None:
                            return hit
                    if compiles and len(found[1]) == 1:  # a lone exception: its class's compiled verdict
                        compiled = compiled_verdict(exc, found[0], memo)
                        if compiled is not None:
                            cache.table_hits += 1
                            hit, message = compiled
                            if message is not None:  # a repeat compares its message instead of reading it
                                cache.file_compiled(found[0], hit, message)
                            return hit
            ignored = {id(other) for other in ignore if other is not exc} if ignore else ()
            links = chain_links(exc, ignored, self.now)
            key = self._cache_key(links, context)
            if key is not None:
                cached = self._cache.get(key, links)
                if cached is not None:
                    chained = chain_hit(cached, links)
                    if quick is not None:  # the second time: the quick key serves the next ones
                        self._cache.quick_put(quick[0], quick[1], links, cached, chained.verdict)
                    return chained
                if compiles:  # built-in knowledge compiled on these facts, for a failure never seen
                    decision = compiled_decision(key, links)
                    if decision is not None:  # cached too: a repeat is one lookup
                        self._cache.table_hits += 1
                        self._cache.put(key, decision, type(exc))
                        return chain_hit(decision, links)
            return self._decide(exc, links, context, key, quick)
        except Exception as err:  # a broken rule or a hostile exception must not break the task
            return failed(exc, err)

    def _decide(
        self,
        exc: BaseException,
        links: list[LinkFacts],
        context: Mapping[str, Any] | None,
        key: Hashable | None,
        quick: tuple[Hashable, list[BaseException]] | None,
    ) -> Classification:
        """Classify *links* by rules, plugins and built-ins; cache the decision under *key*."""
        candidate = self._by_user_rules(links, context)
        if candidate is None and self._plugins:
            plugged = self._by_plugins(exc)
            if plugged is not None:
                return plugged
        if candidate is None:
            candidate = builtin_verdict(exc, links, self.now)
        reads = lazy_reads(links) if key is not None else None  # what the decision read
        verdict = unknown_of(links[0]) if candidate is None else verdict_of(candidate, links[0])
        if reads is not None:
            decided_on = links[0] if candidate is None else candidate.facts
            decision = decision_of(verdict, links, decided_on, reads, with_retry_after=candidate is not None)
            if decision is not None:
                self._cache.put(key, decision, type(exc))
                if candidate is not None and not self._rules and not self._plugins:
                    compile_decision(key, decision)
                if quick is not None:
                    self._cache.quick_put(quick[0], quick[1], links, decision, verdict)
        return verdict

    # -- user rules and plugins -------------------------------------------------------------

    def _by_user_rules(self, links: list[LinkFacts], context: Mapping[str, Any] | None) -> Candidate | None:
        if not self.rules:
            return None
        scope = _scope(context)
        for rule in self.rules:
            if not rule.applies_to(*scope):
                continue
            for facts in links:
                try:
                    matched = rule.matches(facts)
                except Exception as err:
                    log.warning("errorguard rule %r failed on %s: %r", rule.name, facts.type_name, err)
                    continue
                if matched:
                    reason = rule.render_reason(facts)
                    if facts is not links[0]:
                        reason += f" (found in the chain of {links[0].type_name})"
                    return Candidate(
                        ErrorCategory(rule.category),
                        float(rule.confidence),
                        f"user:{rule.name}",
                        reason,
                        facts,
                        action=rule.action,
                        backoff=rule.backoff,
                        max_retries=rule.max_retries,
                    )
        return None

    def _by_plugins(self, exc: BaseException) -> Classification | None:
        for plugin in self.plugins:
            try:
                result = plugin(exc)
            except Exception as err:
                log.warning("errorguard plugin classifier %r failed: %r", plugin, err)
                continue
            if isinstance(result, Classification):
                return result
        return None


def _scope(context: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """``(dag_id, task_id)`` from an Airflow context (or a plain mapping), when known."""
    ref = task_ref(context)
    return ref.dag_id, ref.task_id


__all__ = ["CONTEXT_WEIGHT", "MAX_DEPTH", "MAX_LINKS", "Classifier", "PluginClassifier"]
