"""Running counts of guarded processing, the returned summary and the error budget."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from airflow_errorguard.guard.options import GuardOptions
from airflow_errorguard.storage.quarantine_types import QuarantineItem

_SAMPLES = 5
_FALLBACK_KEYS = 100
_TOP = 5
_CATEGORY = attrgetter("error_category")
_FINGERPRINT = attrgetter("fingerprint")


@dataclass
class Tally:
    """
    Counts of a guarded run, cumulative over the task's tries (saved in the checkpoint state,
    so a resumed try reports the whole run).
    """

    processed: int = 0
    succeeded: int = 0
    quarantined: int = 0
    retried_in_process: int = 0
    batches: int = 0
    rejected_at_load: int = 0
    by_fallback: int = 0
    fallback_keys: list[str] = field(default_factory=list)
    by_category: Counter[str] = field(default_factory=Counter)
    fingerprints: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Tally:
        counts = state.get("counts") or {}
        return cls(
            processed=int(counts.get("processed", 0)),
            succeeded=int(counts.get("succeeded", 0)),
            quarantined=int(counts.get("quarantined", 0)),
            retried_in_process=int(counts.get("retried_in_process", 0)),
            batches=int(counts.get("batches", 0)),
            rejected_at_load=int(counts.get("rejected_at_load", 0)),
            by_fallback=int(counts.get("served_by_fallback", 0)),
            fallback_keys=list(state.get("fallback_keys") or []),
            by_category=Counter(state.get("by_category") or {}),
            fingerprints=Counter(state.get("fingerprints") or {}),
            samples=list(state.get("samples") or []),
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "counts": {
                "processed": self.processed,
                "succeeded": self.succeeded,
                "quarantined": self.quarantined,
                "retried_in_process": self.retried_in_process,
                "batches": self.batches,
                "rejected_at_load": self.rejected_at_load,
                "served_by_fallback": self.by_fallback,
            },
            "fallback_keys": self.fallback_keys[:_FALLBACK_KEYS],
            "by_category": dict(self.by_category),
            "fingerprints": dict(self.fingerprints.most_common(50)),
            "samples": self.samples[:_SAMPLES],
        }

    def add_batch(
        self,
        outputs: Sequence[object],
        bad: list[QuarantineItem],
        rejected_at_load: list[QuarantineItem],
        fallbacks: Sequence[tuple[str, str]] = (),
    ) -> None:
        """
        Count one committed batch: *outputs* (the rejected ones among them), *bad* records, and
        *fallbacks*, the ``(output key, record key)`` of the outputs the fallback served. Each record
        is counted once: a served output the sink rejected (quarantined under its output key) is
        quarantined, not served.
        """
        self.processed += len(outputs) + len(bad)
        self.succeeded += len(outputs) - len(rejected_at_load)
        self.rejected_at_load += len(rejected_at_load)
        self.add_quarantined(bad)
        self.add_quarantined(rejected_at_load)
        self.batches += 1
        if fallbacks:
            not_loaded = Counter(item.record_key for item in rejected_at_load)
            for output_key, key in fallbacks:
                if not_loaded[output_key]:
                    not_loaded[output_key] -= 1  # one rejected row cancels one served output
                else:
                    self._served_by_fallback(key)

    def _served_by_fallback(self, key: str) -> None:
        """Count a record served by the fallback (its key kept among the first 100)."""
        self.by_fallback += 1
        if len(self.fallback_keys) < _FALLBACK_KEYS:
            self.fallback_keys.append(key)

    def add_quarantined(self, items: list[QuarantineItem]) -> None:
        self.quarantined += len(items)
        self.by_category.update(map(_CATEGORY, items))  # counted in C, in the items' order
        self.fingerprints.update(filter(None, map(_FINGERPRINT, items)))
        for item in items[: max(0, _SAMPLES - len(self.samples))]:
            message = (item.error_message or "")[:200]
            self.samples.append(f"{item.record_key}: {item.error_type}: {message}")

    def summary(self, *, resumed_from: int, duration: float, status: str) -> dict[str, Any]:
        """The summary returned through XCom (and carried by a budget failure)."""
        return {
            "status": status,
            "processed": self.processed,
            "succeeded": self.succeeded,
            "quarantined": self.quarantined,
            "retried_in_process": self.retried_in_process,
            "resumed_from": resumed_from,
            "batches": self.batches,
            "rejected_at_load": self.rejected_at_load,
            "served_by_fallback": self.by_fallback,
            "fallback_keys": self.fallback_keys[:_FALLBACK_KEYS],
            "duration_s": round(duration, 3),
            "by_category": dict(self.by_category),
            "top_fingerprints": dict(self.fingerprints.most_common(_TOP)),
            "samples": self.samples[:_SAMPLES],
        }

    def budget_breach(self, options: GuardOptions) -> str | None:
        """Why the error budget is exceeded, or ``None`` when it is not."""
        limit = options.max_quarantined
        if limit is not None and self.quarantined > limit:
            return f"{self.quarantined} records quarantined, more than max_quarantined={limit}"
        ratio = options.max_quarantine_ratio
        if ratio is not None and self.processed and self.quarantined / self.processed > ratio:
            return (
                f"{self.quarantined} of {self.processed} records quarantined "
                f"({self.quarantined / self.processed:.1%}), more than max_quarantine_ratio={ratio:g}"
            )
        return None
