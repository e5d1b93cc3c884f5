"""The ``errorguard`` command line: quarantine, circuits, incidents, stats and schema upgrades."""

from __future__ import annotations
