"""
User classification rules: match any signal of an exception and set category, action and backoff.

A :class:`Rule` matches one exception of a chain when **every** matcher it sets matches that
exception; within one matcher, any listed value matches. Rules are validated when built, so a bad
rule fails at DAG parse time with :class:`~airflow_errorguard.exceptions.ErrorGuardConfigError`.
"""

from __future__ import annotations

import errno as errno_module
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.model import DEFAULT_ACTIONS, ErrorAction, ErrorCategory
from airflow_errorguard.classification.signals import LinkFacts
from airflow_errorguard.exceptions import ErrorGuardConfigError

#: Keys a rule accepts, in a rules file or as keyword arguments.
RULE_FIELDS = (
    "name",
    "category",
    "action",
    "exception",
    "message",
    "http_status",
    "sqlstate",
    "errno",
    "driver_code",
    "cloud_code",
    "reason",
    "confidence",
    "backoff",
    "max_retries",
    "dag_id",
    "task_id",
)
MATCHER_FIELDS = ("exception", "message", "http_status", "sqlstate", "errno", "driver_code", "cloud_code")
_STATUS_RANGE = re.compile(r"^([1-5])xx$|^(\d{3})-(\d{3})$", re.I)


class _ReasonFields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, int, type)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


@dataclass(frozen=True)
class Rule:
    """
    One classification rule.

    :param category: ``transient``, ``data``, ``configuration``, ``system`` or ``unknown``.
    :param name: Name shown in :attr:`Classification.rule` (``user:<name>``) and in errors.
    :param action: ``retry``, ``quarantine`` or ``alert``; defaults to the category's action.
    :param exception: Exception classes or dotted paths (``requests.exceptions.HTTPError``);
        matches the class or any base class. ``*.Name`` matches a class name from any module.
    :param message: Regular expression searched (case-insensitively) in ``str(exc)``.
    :param http_status: Status codes, ``"5xx"`` classes or ``"500-504"`` ranges.
    :param sqlstate: SQLSTATE codes; a trailing ``*`` or a two-character value matches a class.
    :param errno: ``errno`` numbers or names (``"ECONNRESET"``).
    :param driver_code: Driver codes, e.g. ``"mysql:1213"`` or ``"sqlite:SQLITE_BUSY"``.
    :param cloud_code: Service error codes, e.g. botocore ``"ThrottlingException"``, Google
        ``"UNAVAILABLE"``, Airflow ``"CONNECTION_NOT_FOUND"``.
    :param reason: Sentence for :attr:`Classification.reason`; may use ``{type}``, ``{message}``,
        ``{http_status}``, ``{sqlstate}``, ``{errno}``, ``{code}``, ``{host}``.
    :param confidence: Reported confidence, 0 to 1 (default 1).
    :param backoff: :class:`Backoff` (or its keyword arguments) for errors this rule retries.
    :param max_retries: At most this many Airflow retries for errors this rule matches.
    :param dag_id: Only for DAGs whose id matches this shell pattern (``etl_*``).
    :param task_id: Only for tasks whose id matches this shell pattern.
    """

    category: ErrorCategory | str
    name: str = ""
    action: ErrorAction | str | None = None
    exception: Any = ()
    message: str | re.Pattern[str] | None = None
    http_status: Any = ()
    sqlstate: Any = ()
    errno: Any = ()
    driver_code: Any = ()
    cloud_code: Any = ()
    reason: str | None = None
    confidence: float = 1.0
    backoff: Backoff | Mapping[str, Any] | None = None
    max_retries: int | None = None
    dag_id: str | None = None
    task_id: str | None = None
    source: str = field(default="", compare=False)

    # Normalised matchers, filled in __post_init__.
    _paths: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _names: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _statuses: frozenset[int] = field(default=frozenset(), init=False, repr=False, compare=False)
    _sqlstates: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _errnos: frozenset[int] = field(default=frozenset(), init=False, repr=False, compare=False)
    _driver_codes: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _cloud_codes: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "category", self._enum(ErrorCategory, self.category, "category"))
        action = DEFAULT_ACTIONS[self.category] if self.action is None else self.action  # type: ignore[index]
        set_(self, "action", self._enum(ErrorAction, action, "action"))
        if not self.name:
            set_(self, "name", f"{self.category}-rule")
        self._normalise_exception(set_)
        if self.message is not None:
            try:
                regex = (
                    self.message
                    if isinstance(self.message, re.Pattern)
                    else re.compile(str(self.message), re.IGNORECASE)
                )
            except re.error as err:
                self._fail("message", f"invalid regular expression {self.message!r}: {err}")
            set_(self, "_regex", regex)
        set_(self, "_statuses", frozenset(self._status_values()))
        set_(self, "_sqlstates", tuple(self._sqlstate_values()))
        set_(self, "_errnos", frozenset(self._errno_values()))
        set_(self, "_driver_codes", frozenset(str(v) for v in _as_list(self.driver_code)))
        set_(self, "_cloud_codes", frozenset(str(v) for v in _as_list(self.cloud_code)))
        if not any(_as_list(getattr(self, f)) for f in MATCHER_FIELDS):
            self._fail("exception", f"a rule needs at least one matcher: {', '.join(MATCHER_FIELDS)}")
        if isinstance(self.confidence, bool) or not isinstance(self.confidence, (int, float)):
            self._fail("confidence", f"must be a number from 0 to 1, got {self.confidence!r}")
        if not 0 <= self.confidence <= 1:
            self._fail("confidence", f"must be from 0 to 1, got {self.confidence!r}")
        if self.max_retries is not None and (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            self._fail("max_retries", f"must be a whole number >= 0, got {self.max_retries!r}")
        if self.backoff is not None and not isinstance(self.backoff, Backoff):
            if not isinstance(self.backoff, Mapping):
                self._fail("backoff", f"must be a Backoff or a mapping, got {self.backoff!r}")
            try:
                set_(self, "backoff", Backoff.from_mapping(self.backoff))
            except (TypeError, ValueError) as err:
                self._fail("backoff", str(err))
        for scope_field in ("dag_id", "task_id"):
            value = getattr(self, scope_field)
            if value is not None and (not isinstance(value, str) or not value):
                self._fail(scope_field, f"must be a non-empty shell pattern, got {value!r}")
        if self.reason is not None:
            try:
                str(self.reason).format_map(_ReasonFields())
            except (ValueError, IndexError, AttributeError, KeyError) as err:
                self._fail("reason", f"invalid template {self.reason!r}: {err}")
        # Matcher values as tuples, so rules hash: a policy's classifier is cached by its rules.
        for matcher in MATCHER_FIELDS:
            if matcher != "message":
                set_(self, matcher, tuple(_as_list(getattr(self, matcher))))

    # -- validation helpers -------------------------------------------------------------------

    def _fail(self, field_name: str, problem: str) -> Any:
        where = f"{self.source}, " if self.source else ""
        raise ErrorGuardConfigError(f"{where}rule {self.name!r}, field {field_name!r}: {problem}")

    def _enum(self, enum: type[Any], value: Any, field_name: str) -> Any:
        try:
            return enum(value.value if isinstance(value, enum) else str(value).lower())
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            return self._fail(field_name, f"unknown {field_name} {value!r}; expected one of: {allowed}")

    def _normalise_exception(self, set_: Any) -> None:
        paths, names = set(), set()
        for spec in _as_list(self.exception):
            if isinstance(spec, type) and issubclass(spec, BaseException):
                module = spec.__module__
                paths.add(spec.__qualname__ if module == "builtins" else f"{module}.{spec.__qualname__}")
            elif isinstance(spec, str) and spec.strip():
                text = spec.strip()
                if text.startswith("*."):
                    names.add(text[2:])
                else:
                    paths.add(text.removeprefix("builtins."))
            else:
                self._fail("exception", f"expected exception classes or dotted paths, got {spec!r}")
        set_(self, "_paths", frozenset(paths))
        set_(self, "_names", frozenset(names))

    def _status_values(self) -> list[int]:
        values: list[int] = []
        for spec in _as_list(self.http_status):
            if isinstance(spec, int) and not isinstance(spec, bool) and 100 <= spec <= 599:
                values.append(spec)
                continue
            text = str(spec).strip()
            if text.isdigit() and 100 <= int(text) <= 599:
                values.append(int(text))
                continue
            found = _STATUS_RANGE.match(text)
            if not found:
                self._fail("http_status", f"expected a status 100-599, '5xx' or '500-504', got {spec!r}")
            if found.group(1):  # type: ignore[union-attr]
                low = int(found.group(1)) * 100  # type: ignore[union-attr]
                values.extend(range(low, low + 100))
            else:
                low, high = int(found.group(2)), int(found.group(3))  # type: ignore[union-attr]
                if not 100 <= low <= high <= 599:
                    self._fail("http_status", f"bad range {spec!r}")
                values.extend(range(low, high + 1))
        return values

    def _sqlstate_values(self) -> list[str]:
        values = []
        for spec in _as_list(self.sqlstate):
            text = str(spec).strip().upper().rstrip("*")
            if not re.fullmatch(r"[0-9A-Z]{2}|[0-9A-Z]{5}", text):
                self._fail("sqlstate", f"expected a 5-character SQLSTATE or a class like '08*', got {spec!r}")
            values.append(text)
        return values

    def _errno_values(self) -> list[int]:
        values = []
        for spec in _as_list(self.errno):
            if isinstance(spec, int) and not isinstance(spec, bool):
                values.append(spec)
            elif isinstance(spec, str) and isinstance(getattr(errno_module, spec.strip(), None), int):
                values.append(getattr(errno_module, spec.strip()))
            else:
                self._fail("errno", f"expected an errno number or name like 'ECONNRESET', got {spec!r}")
        return values

    # -- matching -----------------------------------------------------------------------------

    def applies_to(self, dag_id: str | None, task_id: str | None) -> bool:
        """Whether the rule's ``dag_id`` / ``task_id`` patterns admit this task (unknown ids do not)."""
        if self.dag_id is not None and (dag_id is None or not fnmatch.fnmatchcase(dag_id, self.dag_id)):
            return False
        return self.task_id is None or (task_id is not None and fnmatch.fnmatchcase(task_id, self.task_id))

    def matches(self, facts: LinkFacts) -> bool:
        """Whether every matcher of this rule matches the exception behind *facts*."""
        if (self._paths or self._names) and not (
            any(p in self._paths for p in facts.paths)
            or any(p.rsplit(".", 1)[-1] in self._names for p in facts.paths)
        ):
            return False
        if self._statuses and facts.http_status not in self._statuses:
            return False
        if self._sqlstates:
            state = facts.sqlstate
            if state is None or not any(state.startswith(s) for s in self._sqlstates):
                return False
        if self._errnos and facts.errno not in self._errnos:
            return False
        if self._driver_codes and facts.driver_code not in self._driver_codes:
            return False
        if self._cloud_codes and facts.cloud_code not in self._cloud_codes:
            return False
        return not (self._regex is not None and not self._regex.search(facts.message))

    def render_reason(self, facts: LinkFacts) -> str:
        """The rule's reason with placeholders filled, or a default sentence."""
        if self.reason is None:
            return f"user rule {self.name!r} matched {facts.type_name}; {self.category}"
        fields = _ReasonFields(
            type=facts.type_name,
            message=facts.message[:300],
            http_status=facts.http_status or "",
            sqlstate=facts.sqlstate or "",
            errno=facts.errno or "",
            code=facts.cloud_code or facts.driver_code or "",
            host=facts.host or "",
        )
        return str(self.reason).format_map(fields)
