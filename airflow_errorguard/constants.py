"""Constants shared by every layer (a leaf: imports nothing)."""

from __future__ import annotations

#: The Airflow connection to errorguard's tables used when none is given.
DEFAULT_CONN_ID = "errorguard_default"

#: The shortest fingerprint prefix the UI, the CLI and the replay operator resolve to a full one
#: (the short form the UI and the docs show is 8 characters).
MIN_FINGERPRINT_PREFIX = 6

__all__ = ["DEFAULT_CONN_ID", "MIN_FINGERPRINT_PREFIX"]
