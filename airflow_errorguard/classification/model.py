"""Categories, actions and the :class:`Classification` result."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from functools import cached_property, lru_cache
from typing import Any

from airflow_errorguard.classification.fingerprint import mask_message

#: ``mask_message`` is a pure function of the text: a repeated failure's message is masked once.
_masked = lru_cache(maxsize=1024)(mask_message)


def _fingerprint_text(source: str) -> str:
    """:attr:`Classification.fingerprint_text` of a fingerprint source (types and codes, message)."""
    types, _, message = source.partition(": ")
    return f"{types}: {_masked(message)}"


@lru_cache(maxsize=1024)
def _digest(text: str) -> str:
    """:attr:`Classification.fingerprint` of a fingerprint text: one digest per distinct text (the
    messages of one failure shape mask to one text)."""
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]


class ErrorCategory(str, Enum):
    """What kind of failure an exception is."""

    TRANSIENT = "transient"
    """Likely to succeed when tried again later: network, timeouts, throttling, 5xx, deadlocks."""
    DATA = "data"
    """The input is bad: parse errors, constraint violations, rejected values. Retrying cannot help."""
    CONFIGURATION = "configuration"
    """The deployment is wrong: credentials, permissions, missing tables, connections or modules."""
    SYSTEM = "system"
    """The host or runtime is in trouble: memory, disk, file handles, the process being killed."""
    UNKNOWN = "unknown"
    """No signal was strong enough to say."""

    def __str__(self) -> str:
        return self.value


class ErrorAction(str, Enum):
    """What errorguard recommends doing about a failure."""

    RETRY = "retry"
    QUARANTINE = "quarantine"
    ALERT = "alert"

    def __str__(self) -> str:
        return self.value


DEFAULT_ACTIONS: Mapping[ErrorCategory, ErrorAction] = {
    ErrorCategory.TRANSIENT: ErrorAction.RETRY,
    ErrorCategory.DATA: ErrorAction.QUARANTINE,
    ErrorCategory.CONFIGURATION: ErrorAction.ALERT,
    ErrorCategory.SYSTEM: ErrorAction.ALERT,
    # Unknown failures keep Airflow's default behaviour: retried like any other failure.
    ErrorCategory.UNKNOWN: ErrorAction.RETRY,
}

#: Order used when several members of an ``ExceptionGroup`` disagree: the first wins,
#: because one configuration error makes retrying the whole group pointless.
SEVERITY: tuple[ErrorCategory, ...] = (
    ErrorCategory.CONFIGURATION,
    ErrorCategory.SYSTEM,
    ErrorCategory.DATA,
    ErrorCategory.UNKNOWN,
    ErrorCategory.TRANSIENT,
)


@dataclass(frozen=True)
class Classification:
    """
    The verdict on one exception.

    :param category: What kind of failure it is.
    :param action: What to do about it (retry, quarantine, alert).
    :param confidence: How sure the deciding rule is, from 0 to 1.
    :param rule: Name of the rule that decided, e.g. ``builtin:http:503`` or ``user:rate-limits``.
    :param reason: One human sentence explaining the decision.
    :param retry_after: Delay the failing service asked for (``Retry-After``), if any.
    :param exception_type: Dotted path of the exception the rule matched (may be a cause in the chain).
    :param signals: The facts seen on the deciding exception (HTTP status, SQLSTATE, errno, ...).
    :param backoff: Backoff override carried by a user rule, if any.
    :param max_retries: Retry budget override carried by a user rule, if any.
    """

    category: ErrorCategory
    action: ErrorAction
    confidence: float
    rule: str
    reason: str
    retry_after: timedelta | None = None
    exception_type: str = ""
    signals: Mapping[str, Any] = field(default_factory=dict)
    backoff: Any = None
    max_retries: int | None = None
    fingerprint_source: str = field(default="", repr=False)

    @cached_property
    def fingerprint_text(self) -> str:
        """
        Exception type (with its HTTP status, SQLSTATE, errno, driver and service codes) and message,
        the message's volatile parts (numbers, ids, paths, quoted values) masked.
        """
        return _fingerprint_text(self.fingerprint_source)

    @cached_property
    def fingerprint(self) -> str:
        """Stable 16-hex-digit digest of :attr:`fingerprint_text`; equal for the same failure across runs."""
        text = self.__dict__.get("fingerprint_text")  # read already, or computed here without caching
        return _digest(_fingerprint_text(self.fingerprint_source) if text is None else text)

    @classmethod
    def of(cls, **state: Any) -> Classification:
        """
        ``Classification(**state)`` with every field given, built without the frozen dataclass's
        one ``__setattr__`` per field: classification and its cache hits are on the hot path.
        """
        verdict = _new(cls)
        verdict.__dict__.update(state)
        return verdict

    def for_exception(
        self, retry_after: timedelta | None, signals: Mapping[str, Any], fingerprint_source: str
    ) -> Classification:
        """
        This verdict for another exception decided the same way (a verdict cache hit), with that
        exception's own ``retry_after``, signals and fingerprint source.
        """
        state = self.__dict__.copy()
        for name in _CACHED:  # the fingerprint cached on self is not the other exception's
            state.pop(name, None)
        state["retry_after"] = retry_after
        state["signals"] = signals
        state["fingerprint_source"] = fingerprint_source
        verdict = _new(Classification)
        verdict.__dict__.update(state)
        return verdict

    @property
    def retryable(self) -> bool:
        """Whether the recommended action is to retry."""
        return self.action is ErrorAction.RETRY

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view, for XCom, logs and storage."""
        return {
            "category": self.category.value,
            "action": self.action.value,
            "confidence": round(self.confidence, 3),
            "rule": self.rule,
            "reason": self.reason,
            "retry_after_seconds": self.retry_after.total_seconds() if self.retry_after else None,
            "exception_type": self.exception_type,
            "fingerprint": self.fingerprint,
            "signals": {k: v for k, v in self.signals.items() if isinstance(v, (str, int, float))},
        }


#: Values cached on a verdict (its fingerprint), not fields.
_CACHED: tuple[str, ...] = tuple(n for n, v in vars(Classification).items() if isinstance(v, cached_property))
_new = object.__new__
