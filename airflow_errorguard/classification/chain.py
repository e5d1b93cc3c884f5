"""
The chain of an exception and the built-in verdict on it.

The chain is the exception and what it wraps (``__cause__``, wrapping attributes, group members,
exceptions passed as arguments, ``__context__``), breadth first, bounded and cycle-safe. Every
exception of the chain gets its strongest built-in verdict; the most confident one of the chain wins
(on ties the more specific: an explicit inner cause over its wrapper); an implicit ``__context__``
counts for :data:`CONTEXT_WEIGHT` of its confidence; members of an ``ExceptionGroup`` are combined by
severity. A TLS verification failure or an unknown host anywhere, even in a context suppressed with
``raise ... from None``, makes a transient or unknown verdict configuration. A parse or validation
error that a settings loader raised (the ``raised_in`` fact, :mod:`.raised_in`) is configuration,
whatever its class says elsewhere; so is a plain ``ValueError``/``TypeError``/``KeyError`` raised
where a client library reads its settings (the ``call_site`` fact, :mod:`.call_site`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection

from airflow_errorguard.classification.builtin import Candidate, match_builtin
from airflow_errorguard.classification.misconfiguration import tls_verification, unknown_host
from airflow_errorguard.classification.model import SEVERITY, ErrorCategory
from airflow_errorguard.classification.raised_in import while_loading
from airflow_errorguard.classification.signals import CONTEXT, MEMBER, LinkFacts

MAX_DEPTH = 8
MAX_LINKS = 32
CONTEXT_WEIGHT = 0.85


def chain_links(exc: BaseException, ignored: Collection[int], now: Callable[[], float]) -> list[LinkFacts]:
    """
    The exception and what it wraps, breadth first, outermost first, bounded, cycle-safe,
    without the *ignored* ones (by ``id``) and what only they wrap.
    """
    top = LinkFacts(exc, now)
    if not top.children:  # the common case: a lone exception
        return [top]
    seen: set[int] = {id(exc), *ignored}
    order: list[LinkFacts] = [top]
    queue: deque[tuple[BaseException, int]] = deque((child, 1) for child, _ in top.children)
    while queue and len(order) < MAX_LINKS:
        current, depth = queue.popleft()
        if id(current) in seen:
            continue
        seen.add(id(current))
        facts = LinkFacts(current, now)
        order.append(facts)
        if depth < MAX_DEPTH:
            queue.extend((child, depth + 1) for child, _ in facts.children)
    return order


def builtin_verdict(exc: BaseException, links: list[LinkFacts], now: Callable[[], float]) -> Candidate | None:
    """The built-in verdict on the chain *links* of *exc*: its strongest, unless a TLS failure or an
    unknown host anywhere in it says configuration."""
    by_id = {id(facts.exc): facts for facts in links}
    best = _best(exc, by_id, set(), 1.0)
    if best is None or best.category in _OVERRIDABLE:
        found = _configuration_anywhere(links, now)
        if found is not None:
            if found.facts is not links[0]:
                found.reason += f" (found in the chain of {links[0].type_name})"
            best = found
    return best


def _configuration_anywhere(links: list[LinkFacts], now: Callable[[], float]) -> Candidate | None:
    """
    A TLS verification failure or an unknown host name among *links* or in a context they
    suppressed (``from None``): a wrapper's transient look must not hide them.
    """
    queue = deque(links)
    seen = {id(facts.exc) for facts in links}
    budget = MAX_LINKS
    while queue and budget:
        budget -= 1
        facts = queue.popleft()
        # A link that got a response (HTTP status, SQLSTATE) failed after TLS and name
        # resolution: its message is not read, so the verdict cache keeps its hits.
        if facts.http_status is None and facts.sqlstate is None:
            found = tls_verification(facts) or unknown_host(facts)
            if found is not None:
                return found
        try:
            hidden = facts.exc.__context__ if facts.exc.__suppress_context__ else None
        except BaseException:
            hidden = None
        for inner in [hidden, *(child for child, _ in facts.children)]:
            if (
                isinstance(inner, BaseException)
                and id(inner) not in seen
                and (inner is hidden or facts in links)
            ):
                seen.add(id(inner))
                queue.append(LinkFacts(inner, now))
    return None


def _best(
    exc: BaseException, by_id: dict[int, LinkFacts], visited: set[int], weight: float
) -> Candidate | None:
    facts = by_id.get(id(exc))
    if facts is None or id(exc) in visited:
        return None  # beyond the bounded chain, or a cycle
    visited.add(id(exc))
    best = traceback_verdict(facts) or match_builtin(facts)
    if best is not None:
        best.confidence *= weight
    if not facts.children:
        return best
    members = [child for child, kind in facts.children if kind is MEMBER]
    if members:
        verdicts = [v for v in (_best(m, by_id, visited, weight) for m in members) if v]
        if verdicts:
            worst = min(verdicts, key=lambda v: (SEVERITY.index(v.category), -v.confidence))
            best = _stronger(best, worst, f"a member of {facts.type_name}")
    for child, kind in facts.children:
        if kind is CONTEXT:
            inner = _best(child, by_id, visited, weight * CONTEXT_WEIGHT)
            best = _stronger(best, inner, f"raised while handling it, in {facts.type_name}")
        elif kind is not MEMBER:
            inner = _best(child, by_id, visited, weight)
            best = _stronger(best, inner, f"the cause of {facts.type_name}", inner_wins_ties=True)
    return best


#: Confidence of a verdict by ``raised_in`` (it replaces the link's verdict by class): as high as the
#: data verdict of the strongest class it applies to (``JSONDecodeError``); pydantic-settings' own
#: ``SettingsError`` (0.96) still names the source that failed.
LOADER_CONFIDENCE = 0.95


def traceback_verdict(facts: LinkFacts) -> Candidate | None:
    """Configuration when the traceback of *facts* says a settings loader (``raised_in``) or a
    client's settings-reading call site (``call_site``) raised it; ``None`` otherwise."""
    if facts.raised_in is not None:
        return _loaded_setting(facts, facts.raised_in)
    if facts.call_site is not None:
        return _call_site_setting(facts, facts.call_site)
    return None


def _loaded_setting(facts: LinkFacts, loader: str) -> Candidate:
    """Configuration: *facts* is a parse or validation error raised by the settings *loader*."""
    return Candidate(
        ErrorCategory.CONFIGURATION,
        LOADER_CONFIDENCE,
        f"builtin:raised-in:{loader}",
        f"{facts.type_name} was raised {while_loading(loader)}: a deployment setting failed to load "
        "or validate; configuration",
        facts,
    )


#: Confidence of a verdict by ``call_site`` (it replaces the link's verdict by class): above the
#: data verdicts of the classes it applies to (``binascii.Error``, 0.85), below ``raised_in``'s.
CALL_SITE_CONFIDENCE = 0.9


def _call_site_setting(facts: LinkFacts, site: str) -> Candidate:
    """Configuration: *facts* is a generic error raised where a client library reads its settings."""
    library, _, where = site.partition(":")
    return Candidate(
        ErrorCategory.CONFIGURATION,
        CALL_SITE_CONFIDENCE,
        f"builtin:call-site:{library}",
        f"{facts.type_name} was raised in {where}, where {library} reads its settings (a URL, a "
        "connection argument, a key, a named backend): configuration",
        facts,
    )


#: Verdicts that a TLS verification failure or an unknown host elsewhere in the chain overrides.
_OVERRIDABLE = frozenset({ErrorCategory.TRANSIENT, ErrorCategory.UNKNOWN})


def hidden_context(exc: BaseException) -> object:
    """The context *exc* hides (``raise ... from``), or ``None``; *exc* itself when unreadable."""
    try:
        return exc.__context__ if exc.__suppress_context__ else None
    except BaseException:
        return exc


def _stronger(
    current: Candidate | None, other: Candidate | None, where: str, *, inner_wins_ties: bool = False
) -> Candidate | None:
    """
    The more confident of two verdicts. *other* (a nested error) must be strictly stronger, except
    an explicit cause, which wins ties: it is the more specific signal.
    """
    if other is None:
        return current
    if (
        current is None
        or other.confidence > current.confidence
        or (inner_wins_ties and other.confidence == current.confidence)
    ):
        if "(found in" not in other.reason:
            other.reason = f"{other.reason} (found in {where})"
        return other
    return current


__all__ = [
    "CONTEXT_WEIGHT",
    "MAX_DEPTH",
    "MAX_LINKS",
    "builtin_verdict",
    "chain_links",
    "hidden_context",
    "traceback_verdict",
]
