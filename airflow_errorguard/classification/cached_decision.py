"""
What the verdict cache keeps and what a hit gives back.

A :class:`Decision` is a verdict with nothing of the exception it was decided on but what the cache
key and its reads hold. A hit is a :class:`CachedVerdict`: the decision and what this exception's
own verdict is built from (its fingerprint source, signals, ``Retry-After``). The
:class:`~airflow_errorguard.classification.model.Classification` is built when :attr:`CachedVerdict.verdict`
is first read, so a caller that needs only the category, action and reason (a retry decision)
never builds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.safe_read import safe_str
from airflow_errorguard.classification.signals import LinkFacts


@dataclass(frozen=True)
class Decision:
    """A verdict with nothing of the exception it was decided on but what the key and reads hold."""

    verdict: Classification
    """The verdict as decided; its ``retry_after``, ``signals`` and fingerprint are recomputed."""
    position: int
    """Index in the chain of the link that decided."""
    head: str
    """Fingerprint head (exception types and codes): the fingerprint source without the message."""
    with_retry_after: bool
    reads: tuple[tuple[int, str, Any], ...]
    """``(link index, fact, value)`` of every lazy fact the decision read."""

    def holds_for(self, links: Sequence[LinkFacts]) -> bool:
        """Whether *links* have the values this decision read."""
        reads = self.reads
        return not reads or all(getattr(links[index], name) == value for index, name, value in reads)

    def holds_for_chain(self, chain: Sequence[BaseException], memo: list[str] | None = None) -> bool:
        """
        Whether the exceptions of a quick key's *chain* have the values this decision read
        (*memo*: ``chain[0]``'s message once read, see :func:`first_message`).
        """
        for index, name, value in self.reads:
            if name != "message":  # the host and Retry-After of a quick key's exception: none
                if value is not None:
                    return False
            elif (safe_str(chain[index]) if index or memo is None else first_message(chain, memo)) != value:
                return False
        return True

    def retry_after_of(self, links: Sequence[LinkFacts]) -> timedelta | None:
        """The ``Retry-After`` of the verdict for the exception behind *links*."""
        if not self.with_retry_after:
            return None
        retry_after = links[self.position].retry_after
        if retry_after is None and self.position:
            retry_after = links[0].retry_after
        return retry_after

    def verdict_for(self, links: Sequence[LinkFacts]) -> Classification:
        """The verdict for the exception behind *links* (same key, same reads)."""
        facts = links[self.position]
        return self.verdict.for_exception(
            self.retry_after_of(links), facts.as_dict(), f"{self.head}: {facts.message}"
        )


class CachedVerdict:
    """A verdict cache hit: the cached :class:`Decision`, this exception's verdict built when read."""

    __slots__ = ("_verdict", "decision")

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self._verdict: Classification | None = None

    @property
    def verdict(self) -> Classification:
        """The verdict a full classification gives this exception."""
        verdict = self._verdict
        if verdict is None:
            verdict = self._verdict = self._build()
        return verdict

    @property
    def retry_after(self) -> timedelta | None:
        """The ``Retry-After`` of this exception's verdict."""
        return None

    def _build(self) -> Classification:
        raise NotImplementedError


class QuickHit(CachedVerdict):
    """A hit by the quick key: no ``Retry-After``, the signals the decision's exception had."""

    __slots__ = ("decided_on", "message", "signals")

    #: A quick key's exceptions have no ``Retry-After`` (read without a call: a hot path).
    retry_after = None

    def __init__(
        self,
        decision: Decision,
        signals: dict[str, Any],
        decided_on: BaseException,
        message: str | None = None,
    ) -> None:
        self.decision = decision  # CachedVerdict.__init__, inlined (every quick hit builds one)
        self._verdict = None
        self.signals = signals
        #: The exception of the chain the verdict was decided on (its message is the fingerprint's).
        self.decided_on = decided_on
        #: Its message when already read by this classification (``None``: read when built).
        self.message = message

    def _build(self) -> Classification:
        decision = self.decision
        message = self.message
        if message is None:
            message = safe_str(self.decided_on)
        return decision.verdict.for_exception(None, dict(self.signals), f"{decision.head}: {message}")


class ChainHit(CachedVerdict):
    """A hit by the chain key, on the facts read from the exception's chain."""

    __slots__ = ("links",)

    def __init__(self, decision: Decision, links: Sequence[LinkFacts]) -> None:
        super().__init__(decision)
        self.links = links

    @property
    def retry_after(self) -> timedelta | None:
        """The ``Retry-After`` of this exception's verdict."""
        return self.decision.retry_after_of(self.links)

    def _build(self) -> Classification:
        return self.decision.verdict_for(self.links)


_new = object.__new__


def quick_hit(
    decision: Decision, signals: dict[str, Any], decided_on: BaseException, message: str | None
) -> QuickHit:
    """``QuickHit(decision, signals, decided_on, message)`` without the ``__init__`` call: every
    repeat served by the quick key builds one."""
    hit = _new(QuickHit)
    hit.decision = decision
    hit._verdict = None
    hit.signals = signals
    hit.decided_on = decided_on
    hit.message = message
    return hit


def chain_hit(decision: Decision, links: Sequence[LinkFacts]) -> ChainHit:
    """``ChainHit(decision, links)`` without the two ``__init__`` calls: every chain-key hit builds one."""
    hit = _new(ChainHit)
    hit.decision = decision
    hit._verdict = None
    hit.links = links
    return hit


def unprintable(obj: object, err: BaseException) -> str:
    """What :func:`.safe_read.safe_str` gives for *obj* whose ``str()`` raised *err*."""
    return f"<unprintable {type(obj).__name__}: str() raised {type(err).__name__}>"


def first_message(chain: Sequence[BaseException], memo: list[str]) -> str:
    """The message of ``chain[0]``, read once per classification: kept in *memo* (``[]`` until read)."""
    if memo:
        return memo[0]
    message = safe_str(chain[0])
    memo.append(message)
    return message


def evict_oldest(table: dict[Any, Any], max_entries: int) -> None:
    """Make room in a bounded, insertion-ordered *table* by dropping its oldest key when full
    (thread-safe enough for a cache: another thread may have evicted or changed it meanwhile)."""
    if len(table) >= max_entries:
        with contextlib.suppress(StopIteration, KeyError, RuntimeError):
            del table[next(iter(table))]


def put_variant(
    table: dict[Hashable, list[Any]], key: Hashable, value: Any, *, max_entries: int, max_variants: int
) -> None:
    """Put *value* first among *key*'s variants (at most *max_variants*), evicting the oldest key
    when a new one does not fit."""
    variants = table.get(key)
    if variants is None:
        evict_oldest(table, max_entries)
        table[key] = [value]
    else:
        table[key] = [value, *variants[: max_variants - 1]]


__all__ = [
    "CachedVerdict",
    "ChainHit",
    "Decision",
    "QuickHit",
    "chain_hit",
    "evict_oldest",
    "first_message",
    "put_variant",
    "quick_hit",
    "unprintable",
]
