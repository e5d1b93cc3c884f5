"""Quarantine filters as they arrive in query strings and JSON bodies, validated."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta, timezone
from typing import Any

from airflow_errorguard.storage.fingerprint_prefix import (
    AmbiguousFingerprint,
    UnknownFingerprint,
    exact_fingerprint,
)
from airflow_errorguard.storage.quarantine_types import QuarantineFilter
from airflow_errorguard.storage.tables.quarantine import QUARANTINE_STATUSES

#: Query-string / JSON keys of a quarantine filter.
FILTER_KEYS = ("dag_id", "task_id", "run_id", "status", "category", "fingerprint", "q", "since", "until")
DEFAULT_PAGE_SIZE = 50
MAX_TEXT = 500


class FilterError(ValueError):
    """A filter value that cannot be used (shown to the user as a 400)."""


class FingerprintNotFound(FilterError):
    """No stored record has the fingerprint (or a fingerprint starting with it) asked for."""


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    value = str(value).strip()
    if len(value) > MAX_TEXT:
        raise FilterError(f"{key} is longer than {MAX_TEXT} characters")
    return value or None


def parse_time(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """``2026-11-23`` or an ISO timestamp (UTC unless it names a zone) -> aware datetime."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            parsed = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise FilterError(f"not a date or ISO timestamp: {value!r}") from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _statuses(raw: Any) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    values = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    statuses = tuple(str(v).strip() for v in values if str(v).strip())
    unknown = [s for s in statuses if s not in QUARANTINE_STATUSES]
    if unknown:
        raise FilterError(f"unknown status {unknown[0]!r}; expected one of {', '.join(QUARANTINE_STATUSES)}")
    return statuses


@dataclass(frozen=True)
class QuarantineQuery:
    """A validated quarantine filter plus the message text search."""

    filter: QuarantineFilter = field(default_factory=QuarantineFilter)
    message: str | None = None
    raw: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> QuarantineQuery:
        """Build from request parameters; :class:`FilterError` on bad input."""
        values = {key: _text(raw, key) for key in FILTER_KEYS if key != "status"}
        statuses = _statuses(raw.get("status"))
        if values["task_id"] and not values["dag_id"]:
            raise FilterError("filtering by task needs a DAG")
        since = parse_time(values["since"])
        until = parse_time(values["until"], end_of_day=True)
        try:
            flt = QuarantineFilter(
                statuses=statuses,
                dag_id=values["dag_id"],
                task_id=values["task_id"],
                run_id=values["run_id"],
                error_category=values["category"],
                fingerprint=values["fingerprint"],
                created_after=since,
                created_before=until,
            )
        except ValueError as err:
            raise FilterError(str(err)) from err
        echo = {k: v for k, v in values.items() if v}
        if statuses:
            echo["status"] = ",".join(statuses)
        return cls(filter=flt, message=values["q"], raw=echo)

    @property
    def is_empty(self) -> bool:
        return not self.raw

    def resolve_fingerprint(self, lookup: Callable[[str, QuarantineFilter], list[str]]) -> QuarantineQuery:
        """
        This query with its fingerprint made exact by the rule of
        :func:`~airflow_errorguard.storage.fingerprint_prefix.exact_fingerprint` (a stored fingerprint
        or a unique prefix of one); an ambiguous prefix raises :class:`FilterError` and one that
        matches nothing :class:`FingerprintNotFound`, so a filter never silently matches nothing.

        :param lookup: ``(prefix, filter) -> fingerprints`` of stored rows matching the filter's
            other fields and starting with *prefix*, sorted, a few at most
            (:meth:`~airflow_errorguard.storage.quarantine.QuarantineRepository.fingerprints_with_prefix`).
        """
        wanted = self.filter.fingerprint
        if wanted is None:
            return self
        found = lookup(wanted, self.filter)
        if found and found[0] == wanted:
            return self
        if self.filter != QuarantineFilter(fingerprint=wanted):
            # A stored fingerprint the other filters exclude (records discarded a moment ago) is
            # exact: an empty listing is the truth, not a typo.
            anywhere = lookup(wanted, QuarantineFilter(fingerprint=wanted))
            if anywhere and anywhere[0] == wanted:
                return self
        where = "matching the other filters" if len(self.raw) > 1 else ""
        try:
            full = exact_fingerprint(wanted, found, where=where)
        except UnknownFingerprint as err:
            raise FingerprintNotFound(str(err)) from None
        except AmbiguousFingerprint as err:
            raise FilterError(str(err)) from None
        return replace(
            self, filter=replace(self.filter, fingerprint=full), raw={**self.raw, "fingerprint": full}
        )


def parse_limit(value: Any, default: int = DEFAULT_PAGE_SIZE, maximum: int = 500) -> int:
    """A page size between 1 and *maximum*."""
    if value in (None, ""):
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError) as err:
        raise FilterError(f"limit must be a number, got {value!r}") from err
    if not 1 <= limit <= maximum:
        raise FilterError(f"limit must be between 1 and {maximum}, got {limit}")
    return limit


#: Largest row id a cursor may name (a signed 64-bit integer column, as every supported database has).
MAX_ROW_ID = 2**63 - 1


def parse_cursor(value: Any) -> int | None:
    """The keyset cursor (``after``): a row id."""
    if value in (None, ""):
        return None
    try:
        cursor = int(value)
    except (TypeError, ValueError) as err:
        raise FilterError(f"after must be a row id, got {value!r}") from err
    if not 0 <= cursor <= MAX_ROW_ID:
        raise FilterError(f"after must be a row id between 0 and {MAX_ROW_ID}, got {cursor}")
    return cursor


def window_start(now: datetime, hours: float) -> datetime:
    """Start of a look-back window of *hours*."""
    if not 0 < hours <= 24 * 366:
        raise ValueError(f"hours must be between 0 and {24 * 366}, got {hours}")
    return now - timedelta(hours=hours)
