"""A corpus case, and the helpers the family builders share."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_errorguard.classification.model import ErrorCategory

T, D, C, S, U = (
    ErrorCategory.TRANSIENT,
    ErrorCategory.DATA,
    ErrorCategory.CONFIGURATION,
    ErrorCategory.SYSTEM,
    ErrorCategory.UNKNOWN,
)


class ServiceMissing(Exception):
    """A service a family needs (PostgreSQL, MariaDB, Redis, RabbitMQ, a binary) is not reachable."""

    def __init__(self, service: str, detail: object) -> None:
        super().__init__(f"{service} is not reachable: {detail}")
        self.service = service


@dataclass
class Case:
    """
    One exception of the corpus.

    :param family: The family it belongs to (``smtp``, ``amqp``, ``redis``...).
    :param name: A short unique name within the family.
    :param exc: The exception, as the client raised it.
    :param accept: The categories that are an acceptable verdict.
    :param why: One line: why those categories.
    :param constructed: Whether the exception was built by hand (no live path exists).
    :param reproduced: ``False`` when the scenario did not raise (then *exc* says so); such a case
        fails the corpus test by name instead of breaking the whole corpus.
    """

    family: str
    name: str
    exc: BaseException
    accept: frozenset[ErrorCategory]
    why: str
    constructed: bool = False
    reproduced: bool = True

    @property
    def id(self) -> str:
        return f"{self.family}:{self.name}"


@dataclass
class Family:
    """Collects the cases of one family."""

    name: str
    cases: list[Case] = field(default_factory=list)

    def add(
        self,
        name: str,
        raiser: Callable[[], Any] | BaseException,
        accept: ErrorCategory | Iterable[ErrorCategory],
        why: str,
        *,
        constructed: bool = False,
    ) -> BaseException:
        """Run *raiser* (or take the exception given) and record what it raised."""
        cats = frozenset([accept] if isinstance(accept, ErrorCategory) else accept)
        reproduced = True
        if isinstance(raiser, BaseException):
            exc = raiser
        else:
            try:
                exc = raised(raiser)
            except AssertionError as missed:
                exc, reproduced = missed, False
        self.cases.append(Case(self.name, name, exc, cats, why, constructed, reproduced))
        return exc


def raised(fn: Callable[[], Any]) -> BaseException:
    """The exception *fn* raises; an ``AssertionError`` when it returns normally."""
    try:
        fn()
    except BaseException as exc:
        return exc
    raise AssertionError(f"{getattr(fn, '__name__', fn)} did not raise")


def in_ci() -> bool:
    """Whether this is CI (``CI=true``), where a missing service must fail the run."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}
