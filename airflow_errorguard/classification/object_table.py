"""
Compiled decisions for exceptions that hold objects: responses, error dicts, status objects.

An HTTP error holding its response (requests, httpx, aiohttp), a botocore ``ClientError`` holding
its error dict, a google-api-core error holding its gRPC status have no quick key
(:mod:`.quick_key`): their facts are read through :class:`~.signals.LinkFacts`. Their built-in
verdict is a function of those facts (class, HTTP status, service and driver codes, how the links
wrap each other: the chain key of :mod:`.verdict_cache`) and of the lazy facts it read (the
request's host, which a reason names). The first exception with given facts compiles the decision
the general path took; the next ones, never seen before or not, find it by their chain key and
the same lazy values, and get their own ``Retry-After``, signals and fingerprint from their facts
(as a verdict cache hit does).

Only decisions that never read the message are compiled (a TLS verification failure or an unknown
host said in the message, a message pattern, an unknown verdict read it), so the table is keyed by
facts and hosts, never by message. Like :mod:`.class_table` it holds built-in knowledge only: it is
used by classifiers without user rules or plugin classifiers, and clearing a classifier's verdict
cache leaves it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from airflow_errorguard.classification.cached_decision import Decision, put_variant
from airflow_errorguard.classification.signals import LinkFacts

#: Chain keys kept (classes and code values seen in this process).
MAX_ENTRIES = 4096
#: Decisions kept per key when they read different hosts.
MAX_VARIANTS = 4

_TABLE: dict[Hashable, list[Decision]] = {}


def compiled_decision(key: Hashable, links: Sequence[LinkFacts]) -> Decision | None:
    """The compiled decision for chain *key* that holds for *links* (same lazy values), if any."""
    for decision in _TABLE.get(key, ()):
        if decision.holds_for(links):
            return decision
    return None


def compile_decision(key: Hashable, decision: Decision) -> None:
    """Keep *decision*, taken by built-in knowledge alone on chain *key*, unless it read the message."""
    if any(name == "message" for _, name, _ in decision.reads):
        return
    if decision not in _TABLE.get(key, ()):
        put_variant(_TABLE, key, decision, max_entries=MAX_ENTRIES, max_variants=MAX_VARIANTS)


def clear() -> None:
    """Forget every compiled decision (tests)."""
    _TABLE.clear()


__all__ = ["MAX_ENTRIES", "clear", "compile_decision", "compiled_decision"]
