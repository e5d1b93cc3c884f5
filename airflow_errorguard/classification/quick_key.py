"""
The quick key of the verdict cache: a key read **before** the exception's facts.

A repeated failure is most often an exception whose signal attributes (``errno``,
``sqlite_errorname``, ``pgcode``, ``status_code``...) hold plain values: ``None``, booleans,
numbers, strings, enum members. For such an exception whose class has a quick plan
(:attr:`.class_plan.ClassPlan.quick`: no protocol family, no group, no lazily read attribute on
the class but psycopg's ``diag``, whose ``sqlstate`` is read only when ``pgcode`` is empty and
then is part of the key), every fact
:class:`.signals.LinkFacts` would read is a function of its class, those values (and a MySQL
driver's ``args[0]``; for the classes of :data:`.call_site.CALL_SITE_SENSITIVE`, the ``call_site``
fact read off the traceback), and ``Retry-After`` and the host are nowhere to be found. The quick key
holds the classes, those values and how the links wrap each other (``__cause__``,
``__context__``); it is built with a few attribute reads, without the general signal extraction,
and maps to the decision a full classification took (checked against the message when that
decision read it). Anything else (objects in signal attributes, arguments that are exceptions or
error dicts, a context hidden by ``from None`` that is not the cause, long chains) has no quick
key and goes through the chain key of :mod:`.verdict_cache`.
"""

from __future__ import annotations

from collections.abc import Hashable
from enum import Enum
from typing import Any

from airflow_errorguard.classification.cached_decision import QuickHit, unprintable
from airflow_errorguard.classification.call_site import call_site
from airflow_errorguard.classification.class_plan import _PLANS, SIGNAL_SET, class_plan
from airflow_errorguard.classification.safe_read import MAX_MESSAGE

#: Value types a quick key holds as they are (exact types: a subclass may compare strangely).
_PLAIN = frozenset({type(None), bool, int, float, str})
_NOT_PLAIN = object()
#: Attributes that must be absent (or ``None``) for a quick key: they lead to ``Retry-After``.
_NO_QUICK = ("headers", "response", "retry_after")
#: Links a quick key follows; a longer chain goes the general way.
MAX_QUICK_LINKS = 6
#: Lazily read facts a quick decision may have read: the message is checked again; the others are
#: ``None`` for every exception a quick key accepts.
QUICK_LAZY = frozenset({"message", "host", "retry_after"})


def _part(value: Any) -> Any:
    """*value* as a key part, or :data:`_NOT_PLAIN`. ``True``, ``1``, ``1.0`` and ``HTTPStatus(1)`` are
    equal but not the same fact: numbers and enum members keep their type."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind in _PLAIN or isinstance(value, Enum):
        return (kind, value)
    return _NOT_PLAIN


def _signature(exc: BaseException) -> tuple[Any, ...] | None:
    """The plain signal values of *exc*, or ``None`` when it has no quick key."""
    plan = _PLANS.get(type(exc))  # class_plan(), inlined: its cache hit is every call's
    if plan is None:
        plan = class_plan(type(exc))
    if not plan.quick:
        return None
    try:
        values = exc.__dict__
        args = exc.args
    except BaseException:
        return None
    if type(args) is not tuple or type(values) is not dict:
        return None
    for arg in args if len(args) <= 4 else args[:4]:  # an error dict (pg8000), a wrapped exception
        if type(arg) is not str and (type(arg) is dict or isinstance(arg, BaseException)):  # (pika)
            return None
    found: list[Any] = []
    if values:
        # sorted(SIGNAL_SET & values.keys()), without the set: an instance dict holds a few names
        present: list[str] | None = None
        for name in values:
            if name in SIGNAL_SET:
                if present is None:
                    present = [name]
                else:
                    present.append(name)
                    present.sort()
        for name in present or ():
            value = values[name]
            kind = type(value)  # _part(value), inlined (requests errors hold request and response)
            if kind is str or value is None:
                part = value
            elif kind in _PLAIN or isinstance(value, Enum):
                part = (kind, value)
            else:
                return None
            if part is not None and name in _NO_QUICK:
                return None
            found.append((name, part))
    for name in plan.quick_attrs:
        try:
            value = getattr(exc, name, None)
        except BaseException:
            return None
        kind = type(value)  # _part(value), inlined: every quick key of an OSError reads errno
        if kind is str or value is None:
            part = value
        elif kind in _PLAIN or isinstance(value, Enum):
            part = (kind, value)
        else:
            return None
        if part is not None and name in _NO_QUICK:
            return None
        found.append(part)
    if plan.diag_defined and not _sqlstate_code(exc, plan.eager_class_defined, values):
        try:  # LinkFacts reads the SQLSTATE off diag (psycopg's Diagnostics): a plain value or none
            part = _part(getattr(getattr(exc, "diag", None), "sqlstate", None))
        except BaseException:
            return None
        if part is _NOT_PLAIN:
            return None
        found.append(("diag.sqlstate", part))
    if plan.is_mysql:  # the server's error number is args[0] (PyMySQL, mysqlclient)
        part = _part(args[0]) if args else None
        if part is _NOT_PLAIN:
            return None
        found.append(("args[0]", part))
    # A plain ValueError's call site: where a client library reads its settings, or None.
    return (*found, ("call_site", call_site(exc))) if plan.call_site_sensitive else tuple(found)


def _sqlstate_code(exc: BaseException, class_defined: tuple[str, ...], values: dict[str, Any]) -> Any:
    """``pgcode or sqlstate`` as :class:`.signals.LinkFacts` reads them (a class-defined attribute
    wins over the instance dict); ``diag`` is read only when this is empty."""
    found = []
    for name in ("pgcode", "sqlstate"):
        try:
            found.append(getattr(exc, name, None) if name in class_defined else values.get(name))
        except BaseException:
            return None
    return found[0] or found[1]


def _children(exc: BaseException) -> list[tuple[BaseException, str]] | None:
    """What :meth:`.signals.LinkFacts._children` finds on a quick exception (``None``: a hidden context)."""
    try:
        cause = exc.__cause__
        suppressed = exc.__suppress_context__
        context = exc.__context__
    except BaseException:
        return None
    found: list[tuple[BaseException, str]] = []
    if isinstance(cause, BaseException):
        found.append((cause, "cause"))
    if suppressed:
        if context is not None and context is not cause:
            return None  # read for TLS and host names, not part of the key
    elif isinstance(context, BaseException):
        found.append((context, "context"))
    return found


def quick_key(exc: BaseException, scope: Any) -> tuple[Hashable, list[BaseException]] | None:
    """
    ``(key, chain)`` for *exc*, the chain in the order :class:`.classifier.Classifier` walks it;
    ``None`` when *exc* or a link of its chain has no quick key.
    """
    signature = _signature(exc)
    if signature is None:
        return None
    try:  # the common case, a lone exception, without the _children() call
        lone = exc.__cause__ is None and exc.__context__ is None
    except BaseException:
        return None
    if lone:
        return (scope, type(exc), signature), [exc]
    children = _children(exc)
    if children is None:
        return None
    if not children:
        return (scope, type(exc), signature), [exc]
    chain = [exc]
    shapes: list[tuple[Any, ...]] = [(type(exc), signature, children)]
    seen = {id(exc)}
    queue = [child for child, _ in children]
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        if len(chain) >= MAX_QUICK_LINKS:
            return None
        seen.add(id(current))
        signature = _signature(current)
        found = _children(current) if signature is not None else None
        if found is None:
            return None
        chain.append(current)
        shapes.append((type(current), signature, found))
        queue.extend(child for child, _ in found)
    index = {id(link): position for position, link in enumerate(chain)}
    key = (
        scope,
        tuple(
            (kind, signature, tuple((index[id(child)], how) for child, how in found))
            for kind, signature, found in shapes
        ),
    )
    return key, chain


def quick_repeat(cache: Any, exc: BaseException) -> QuickHit | None:
    """
    ``cache.quick_lookup(*quick_key(exc, None))`` for a lone *exc* (no cause, no context) whose
    cached decisions read nothing or its message: the warm path of a repeated failure in one call.
    ``None`` when that does not find it (then the general path decides, and gives what it would
    have given); *cache* is a :class:`.verdict_cache.VerdictCache`.
    """
    try:
        if exc.__cause__ is not None or exc.__context__ is not None:
            return None
    except BaseException:
        return None
    signature = _signature(exc)
    if signature is None:
        return None
    variants = cache._quick.get((None, type(exc), signature))
    if variants is None:
        return None
    message = None
    for decision, signals in variants:
        reads = decision.reads
        if reads:
            if len(reads) != 1:
                return None
            index, name, value = reads[0]
            if name != "message" or index:
                return None
            if message is None:  # safe_str(exc), inlined but for a str() that raises
                try:
                    message = str(exc)
                except BaseException as err:
                    message = unprintable(exc, err)
                if type(message) is not str or len(message) > MAX_MESSAGE:
                    message = message[:MAX_MESSAGE]  # an exact str, as safe_str's
            if message != value:
                continue
        cache.hits += 1
        cache.quick_hits += 1
        hit = _new(QuickHit)  # quick_hit(), inlined
        hit.decision = decision
        hit._verdict = None
        hit.signals = signals
        hit.decided_on = exc
        hit.message = message
        return hit
    return None


_new = object.__new__


__all__ = ["MAX_QUICK_LINKS", "QUICK_LAZY", "quick_key", "quick_repeat"]
