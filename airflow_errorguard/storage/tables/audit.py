"""``errorguard_audit``: who changed what (release, discard, force-open...), when, before and after."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import UtcDateTime, big_id, long_text

audit_table = Table(
    "errorguard_audit",
    errorguard_metadata,
    Column("id", big_id(), primary_key=True, autoincrement=True),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(250), nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(250), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("state_before", long_text(), nullable=True),
    Column("state_after", long_text(), nullable=True),
    Column("note", Text, nullable=True),
    Index("ix_errorguard_audit_entity", "entity", "entity_id", "id"),
    Index("ix_errorguard_audit_created_at", "created_at"),
)
