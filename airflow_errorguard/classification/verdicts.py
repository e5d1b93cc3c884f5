"""
The :class:`~airflow_errorguard.classification.model.Classification` a decision gives: built from
the deciding candidate and the chain's outermost exception, or ``unknown`` when nothing decided.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from airflow_errorguard.classification.builtin import Candidate
from airflow_errorguard.classification.model import (
    DEFAULT_ACTIONS,
    Classification,
    ErrorAction,
    ErrorCategory,
)
from airflow_errorguard.classification.safe_read import safe_str
from airflow_errorguard.classification.signals import LinkFacts, type_paths

log = logging.getLogger("airflow_errorguard.classification.classifier")


def verdict_of(candidate: Candidate, top: LinkFacts) -> Classification:
    """The verdict of *candidate* on the chain whose outermost exception is *top*."""
    facts = candidate.facts
    action = candidate.action or DEFAULT_ACTIONS[candidate.category]
    source = top.type_path
    if facts is not top:
        source += f" <- {facts.type_path}"
    retry_after = facts.retry_after
    if retry_after is None and top is not facts:
        retry_after = top.retry_after
    return Classification.of(
        category=candidate.category,
        action=action if isinstance(action, ErrorAction) else ErrorAction(action),
        confidence=round(min(1.0, max(0.0, candidate.confidence)), 3),
        rule=candidate.rule,
        reason=candidate.reason,
        retry_after=retry_after,
        exception_type=facts.type_path,
        signals=facts.as_dict(),
        backoff=candidate.backoff,
        max_retries=candidate.max_retries,
        fingerprint_source=f"{fingerprint_head(source, facts)}: {facts.message}",
    )


def unknown_of(top: LinkFacts) -> Classification:
    """The ``unknown`` verdict on the chain whose outermost exception is *top*: nothing recognised it."""
    return unknown(
        "none",
        f"no rule recognises {top.type_name} ({top.message[:120]!r})",
        top.type_path,
        f"{fingerprint_head(top.type_path, top)}: {top.message}",
        top.as_dict(),
    )


def unknown_non_exception(obj: object) -> Classification:
    """The ``unknown`` verdict on something that is not an exception."""
    kind = type(obj).__name__
    return Classification(
        category=ErrorCategory.UNKNOWN,
        action=DEFAULT_ACTIONS[ErrorCategory.UNKNOWN],
        confidence=0.0,
        rule="error",
        reason=f"expected an exception, got a {kind}; unknown",
        exception_type=kind,
        fingerprint_source=f"{kind}: {safe_str(obj)}",
    )


def failed(exc: BaseException, err: Exception) -> Classification:
    """The ``unknown`` verdict when classifying *exc* failed with *err* (logged)."""
    log.warning("errorguard could not classify %s: %r", type(exc).__name__, err, exc_info=True)
    return unknown(
        "error",
        f"classification failed ({type(err).__name__}: {safe_str(err)[:200]})",
        exception_path(exc),
        f"{exception_path(exc)}: {safe_str(exc)}",
    )


def unknown(
    rule: str,
    why: str,
    exception_type: str,
    fingerprint_source: str,
    signals: Mapping[str, Any] | None = None,
) -> Classification:
    """An ``unknown`` verdict: Airflow's default behaviour applies."""
    return Classification(
        category=ErrorCategory.UNKNOWN,
        action=DEFAULT_ACTIONS[ErrorCategory.UNKNOWN],
        confidence=0.0,
        rule=rule,
        reason=f"{why}; unknown, Airflow's default retry behaviour applies",
        exception_type=exception_type,
        signals=signals or {},
        fingerprint_source=fingerprint_source,
    )


def fingerprint_head(source: str, facts: LinkFacts) -> str:
    """
    *source* with the deciding exception's codes, which the fingerprint keeps verbatim: the message
    masks every number, so without them HTTP 401 and 404, or MySQL errors 1045 and 2003, would look
    like the same failure.
    """
    codes = []
    if facts.http_status is not None:
        codes.append(f"http={int(facts.http_status)}")
    if facts.sqlstate is not None:
        codes.append(f"sqlstate={facts.sqlstate}")
    if facts.errno is not None:
        codes.append(f"errno={facts.errno}")
    if facts.driver_code is not None:
        codes.append(f"driver={facts.driver_code}")
    if facts.cloud_code is not None:
        codes.append(f"code={facts.cloud_code}")
    return f"{source} [{' '.join(codes)}]".replace(": ", ":")[:500] if codes else source


def exception_path(exc: BaseException) -> str:
    """Dotted path of *exc*'s class."""
    paths = type_paths(type(exc))
    return paths[0] if paths else type(exc).__name__


__all__ = [
    "exception_path",
    "failed",
    "fingerprint_head",
    "unknown",
    "unknown_non_exception",
    "unknown_of",
    "verdict_of",
]
