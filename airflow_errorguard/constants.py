"""Constants shared by every layer (a leaf: imports nothing)."""

from __future__ import annotations

#: The Airflow connection to errorguard's tables used when none is given.
DEFAULT_CONN_ID = "errorguard_default"

__all__ = ["DEFAULT_CONN_ID"]
