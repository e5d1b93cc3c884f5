"""Fingerprint filters: an exact stored fingerprint the other filters exclude lists nothing, honestly."""

from __future__ import annotations

import pytest

from airflow_errorguard.manage.filters import FingerprintNotFound, QuarantineQuery
from airflow_errorguard.storage.quarantine_types import QuarantineFilter

pytestmark = pytest.mark.unit

STORED = {"a1b2c3d4e5f6": "discarded"}  # fingerprint -> status of its only row


def _lookup(prefix: str, flt: QuarantineFilter) -> list[str]:
    return sorted(
        fp
        for fp, status in STORED.items()
        if fp.startswith(prefix) and (not flt.statuses or status in flt.statuses)
    )


def test_exact_fingerprint_excluded_by_other_filters_is_kept() -> None:
    query = QuarantineQuery(QuarantineFilter(statuses=("quarantined",), fingerprint="a1b2c3d4e5f6"))
    assert query.resolve_fingerprint(_lookup) is query


def test_prefix_excluded_by_other_filters_is_still_not_found() -> None:
    query = QuarantineQuery(QuarantineFilter(statuses=("quarantined",), fingerprint="a1b2c3"))
    with pytest.raises(FingerprintNotFound):
        query.resolve_fingerprint(_lookup)
