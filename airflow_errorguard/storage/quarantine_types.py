"""Value objects of the quarantine: what a task submits, what a listing returns, a page of it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from airflow_errorguard.storage.tables.quarantine import QUARANTINE_STATUSES
from airflow_errorguard.storage.tracebacks import format_traceback

if TYPE_CHECKING:
    from airflow_errorguard.classification.model import Classification

T = TypeVar("T")


class Verdict(Protocol):
    """What a quarantine item takes of a verdict (a :class:`.Classification` has it)."""

    @property
    def category(self) -> Any: ...
    @property
    def fingerprint(self) -> str | None: ...
    @property
    def reason(self) -> str: ...


#: Caps applied to the text columns (characters).
MESSAGE_LIMIT = 8000
TRACEBACK_LIMIT = 65536
REASON_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class QuarantineItem:
    """
    One record a task could not process.

    :param record_key: The record's key in its source (unique per task instance); keys longer
        than 200 characters are stored as ``sha256:<hex>`` of the key.
    :param payload: The record itself; any Python object (see :mod:`~airflow_errorguard.storage.payload`).
    :param error_category: errorguard category of the failure (``data``, ``transient``...).
    :param error_type: Dotted path of the exception class.
    :param error_message: The exception message.
    :param traceback: The formatted traceback.
    :param fingerprint: Fingerprint of the failure (equal for the same failure across runs).
    :param reason: Why the record was quarantined, in one sentence.
    """

    record_key: str
    payload: Any = None
    error_category: str = "unknown"
    error_type: str | None = None
    error_message: str | None = None
    traceback: str | None = None
    fingerprint: str | None = None
    reason: str | None = None

    @classmethod
    def from_exception(
        cls,
        record_key: str,
        payload: Any,
        error: BaseException,
        classification: Classification | Verdict | None = None,
        *,
        message: str | None = None,
    ) -> QuarantineItem:
        """
        An item for *payload* that failed with *error*, classified with the default classifier
        unless *classification* is given. *message*: ``str(error)`` when the caller read it already.
        """
        if classification is None:
            from airflow_errorguard.classification.defaults import classify

            classification = classify(error)
        if message is not None:
            stored = message[:MESSAGE_LIMIT]
        else:
            try:  # the message is read once: for the row and for the traceback's last line
                message = stored = str(error)
            except Exception as err:
                stored, message = f"<str() failed: {type(err).__name__}>", None
            else:
                stored = stored[:MESSAGE_LIMIT]
        fields = (
            record_key,
            payload,
            str(classification.category),  # an enum member's value, or the text
            type_name(type(error)),
            stored,
            format_traceback(error, message)[-TRACEBACK_LIMIT:],
            classification.fingerprint,
            classification.reason,
        )
        if cls is not QuarantineItem:
            return cls(*fields)
        return _built(fields)


_new = object.__new__
#: The slots' setters, in field order (``tests/storage/test_tracebacks.py`` checks the order).
_SET = tuple(QuarantineItem.__dict__[name].__set__ for name in QuarantineItem.__slots__)


def _built(fields: tuple[Any, ...]) -> QuarantineItem:
    """
    ``QuarantineItem(*fields)``: what the frozen dataclass's ``__init__`` does (the class has no
    ``__post_init__``), without its argument binding; a bad record's item in about half the time.
    """
    item = _new(QuarantineItem)
    key, payload, category, kind, message, trace, fingerprint, reason = fields
    s0, s1, s2, s3, s4, s5, s6, s7 = _SET
    s0(item, key)
    s1(item, payload)
    s2(item, category)
    s3(item, kind)
    s4(item, message)
    s5(item, trace)
    s6(item, fingerprint)
    s7(item, reason)
    return item


#: Dotted names of the exception classes met (a bad record's type is named once per class).
_TYPE_NAMES: dict[type, str] = {}


def type_name(cls: type) -> str:
    """``module.qualname`` of *cls*."""
    name = _TYPE_NAMES.get(cls)
    if name is None:
        name = f"{cls.__module__}.{cls.__qualname__}"
        if len(_TYPE_NAMES) < 4096:  # classes made on the fly cannot grow it without bound
            _TYPE_NAMES[cls] = name
    return name


def error_message(error: BaseException) -> str:
    """``str(error)`` for storage, or a placeholder naming what ``__str__`` raised."""
    try:
        return str(error)
    except Exception as err:
        return f"<str() failed: {type(err).__name__}>"


@dataclass(frozen=True)
class InsertResult:
    """
    Outcome of a bulk quarantine insert: rows written, records this task instance had already
    stored (skipped), and records an earlier run still holds open with the same fingerprint
    (counted on that row, not stored again).
    """

    inserted: int
    duplicates: int
    repeated: int = 0

    @property
    def submitted(self) -> int:
        return self.inserted + self.duplicates + self.repeated


@dataclass(frozen=True)
class QuarantineFilter:
    """
    Filters of a quarantine listing; ``None``/empty means "any".

    :param statuses: Statuses to include.
    :param created_after: Inclusive lower bound of ``created_at``.
    :param created_before: Exclusive upper bound of ``created_at``.
    """

    statuses: Sequence[str] = ()
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    error_category: str | None = None
    fingerprint: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def __post_init__(self) -> None:
        if isinstance(self.statuses, str):
            object.__setattr__(self, "statuses", (self.statuses,))
        unknown = [s for s in self.statuses if s not in QUARANTINE_STATUSES]
        if unknown:
            raise ValueError(
                f"QuarantineFilter: unknown status {unknown[0]!r}; "
                f"expected one of {', '.join(QUARANTINE_STATUSES)}"
            )
        if self.task_id is not None and self.dag_id is None:
            raise ValueError("QuarantineFilter: task_id needs dag_id")


@dataclass(frozen=True)
class QuarantineRow:
    """
    One stored quarantine row (``payload`` and ``traceback`` only when asked for).

    ``payload_sha256`` of a whole (untruncated) payload is computed from its text, so it is
    ``None`` in a listing without payloads; ``updated_at`` is ``created_at`` until the row changes.
    """

    id: int
    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int
    record_key: str
    payload_bytes: int
    payload_truncated: bool
    payload_sha256: str | None
    error_category: str
    error_type: str | None
    error_message: str | None
    fingerprint: str | None
    reason: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None
    seen_count: int = 1
    last_seen_run_id: str | None = None
    last_seen_at: datetime | None = None
    payload: str | None = None
    traceback: str | None = None
    claimed_by: str | None = None
    claim_try: int | None = None
    claimed_at: datetime | None = None

    def payload_value(self) -> Any:
        """The stored payload decoded from JSON (the truncation marker when it was truncated)."""
        return None if self.payload is None else json.loads(self.payload)


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of a keyset-paginated listing; pass ``next_cursor`` as ``after`` for the next one."""

    items: list[T] = field(default_factory=list)
    next_cursor: int | None = None
