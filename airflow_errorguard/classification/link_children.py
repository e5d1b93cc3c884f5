"""
The errors one exception wraps, as :class:`.signals.LinkFacts` finds them: its cause, the errors in
wrapping attributes (``orig``, ``reason``, tenacity's ``last_attempt``...), group members (and
the per-host errors of a client that tried several hosts), exceptions passed as arguments, and its
context, in that order.
"""

from __future__ import annotations

from typing import Any

from airflow_errorguard.classification.class_plan import (
    CAUSE,
    CONTEXT,
    HOST_ERRORS,
    MEMBER,
    WRAPPED_ATTRS,
    WRAPPED_SET,
    ClassPlan,
)
from airflow_errorguard.classification.safe_read import safe_getattr


def wrapped_errors(
    exc: BaseException, plan: ClassPlan, signals: dict[str, Any], args: Any
) -> list[tuple[BaseException, str]]:
    """
    The errors *exc* wraps, in order: cause, wrapping attributes, members, arguments, context.

    :param signals: Its eager signal attributes (:attr:`.signals.LinkFacts.signals`).
    :param args: Its ``args`` as read (``None`` when unreadable).
    """
    found: list[tuple[BaseException, str]] = []
    try:
        cause = exc.__cause__
        context = None if exc.__suppress_context__ else exc.__context__
    except BaseException:  # a hostile __getattribute__
        cause = context = None
    if isinstance(cause, BaseException):
        found.append((cause, CAUSE))
    for attr in WRAPPED_ATTRS if signals and not WRAPPED_SET.isdisjoint(signals) else ():
        value = signals.get(attr)
        if value is None:
            continue
        if attr == "last_attempt":  # tenacity.RetryError
            getter = safe_getattr(value, "exception")
            try:
                value = getter() if callable(getter) else None
            except BaseException:
                value = None
        if isinstance(value, BaseException) and value is not cause:
            found.append((value, CAUSE))
    if plan.is_group:
        members = signals.get("exceptions")
        if isinstance(members, (tuple, list)):
            found.extend((m, MEMBER) for m in members if isinstance(m, BaseException))
    if plan.family in HOST_ERRORS:  # cassandra-driver: {host: error} of every host tried
        errors = safe_getattr(exc, "errors")
        if isinstance(errors, dict):
            known = {id(value) for value, _ in found}
            tried = [e for e in list(dict.values(errors))[:8] if isinstance(e, BaseException)]
            found.extend((e, MEMBER) for e in tried if id(e) not in known)
    if isinstance(args, tuple):  # pika, httpcore: the wrapped error passed as an argument
        for arg in args[:4]:  # most hold none: no list built
            if isinstance(arg, BaseException):
                known = {id(value) for value, _ in found}
                passed = [a for a in args[:4] if isinstance(a, BaseException)]
                found.extend((a, CAUSE) for a in passed if id(a) not in known)
                break
    if isinstance(context, BaseException):
        found.append((context, CONTEXT))
    return found


__all__ = ["wrapped_errors"]
