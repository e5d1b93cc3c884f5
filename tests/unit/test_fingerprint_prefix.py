"""The one rule for a fingerprint a user gives: exact, a unique prefix of 6+ characters, or an error."""

from __future__ import annotations

import pytest

from airflow_errorguard.constants import MIN_FINGERPRINT_PREFIX
from airflow_errorguard.storage.fingerprint_prefix import (
    AmbiguousFingerprint,
    UnknownFingerprint,
    exact_fingerprint,
)

pytestmark = pytest.mark.unit

FULL = "5eed0a1b2c3d4e5f"


def test_an_exact_fingerprint_is_kept_even_when_it_prefixes_another() -> None:
    assert exact_fingerprint("5eed0a", ["5eed0a", "5eed0a1b2c3d4e5f"]) == "5eed0a"


def test_a_unique_prefix_is_made_whole() -> None:
    assert exact_fingerprint(FULL[:MIN_FINGERPRINT_PREFIX], [FULL]) == FULL


def test_a_short_prefix_is_refused_naming_the_minimum() -> None:
    with pytest.raises(UnknownFingerprint, match=f"at least {MIN_FINGERPRINT_PREFIX} characters"):
        exact_fingerprint(FULL[: MIN_FINGERPRINT_PREFIX - 1], [FULL])


def test_an_ambiguous_prefix_names_the_candidates() -> None:
    other = "5eed0a1b99999999"
    with pytest.raises(AmbiguousFingerprint) as caught:
        exact_fingerprint("5eed0a1b", [FULL, other])
    assert FULL in str(caught.value) and other in str(caught.value)


def test_nothing_found_names_the_scope_searched() -> None:
    with pytest.raises(UnknownFingerprint, match="no quarantined record of the source has"):
        exact_fingerprint("deadbeef", [], where="of the source")
