"""Record sources for guarded processing that can resume from a checkpoint position."""

from __future__ import annotations

from airflow_errorguard.sources.files import FileInput, FileRecords
from airflow_errorguard.sources.sql import SqlRecords

__all__ = ["FileInput", "FileRecords", "SqlRecords"]
