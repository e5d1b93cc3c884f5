"""
How a fingerprint a user gives (the full one, or the short prefix the UI, CLI and docs show) is made
exact: the one rule the UI/API filters, the CLI and ``QuarantineReplayOperator`` share.
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow_errorguard.constants import MIN_FINGERPRINT_PREFIX


class FingerprintLookupError(ValueError):
    """A fingerprint (or prefix) that names no stored failure, or more than one."""


class UnknownFingerprint(FingerprintLookupError):
    """No stored record has the fingerprint, or a fingerprint starting with it."""


class AmbiguousFingerprint(FingerprintLookupError):
    """The prefix starts more than one stored fingerprint."""


def exact_fingerprint(wanted: str, found: Sequence[str], *, where: str = "") -> str:
    """
    The stored fingerprint *wanted* names.

    :param wanted: A full fingerprint, or a prefix of at least :data:`MIN_FINGERPRINT_PREFIX` characters.
    :param found: Stored fingerprints starting with *wanted*, sorted (an exact match comes first).
    :param where: Words after "quarantined record" in an error, naming the scope searched.
    :raises UnknownFingerprint: nothing matches, or a short prefix does not match exactly.
    :raises AmbiguousFingerprint: the prefix starts several stored fingerprints.
    """
    if found and found[0] == wanted:
        return wanted
    scope = f" {where}" if where else ""
    if len(wanted) < MIN_FINGERPRINT_PREFIX:
        raise UnknownFingerprint(
            f"no quarantined record{scope} has fingerprint {wanted!r}; give the full fingerprint "
            f"or a prefix of at least {MIN_FINGERPRINT_PREFIX} characters"
        )
    if not found:
        raise UnknownFingerprint(
            f"no quarantined record{scope} has a fingerprint equal to or starting with {wanted!r}"
        )
    if len(found) > 1:
        shown = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
        raise AmbiguousFingerprint(
            f"fingerprint prefix {wanted!r} is ambiguous: it starts {shown}; give more characters"
        )
    return found[0]


__all__ = ["AmbiguousFingerprint", "FingerprintLookupError", "UnknownFingerprint", "exact_fingerprint"]
