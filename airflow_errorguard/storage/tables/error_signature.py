"""
``errorguard_error_signature``: each distinct error a quarantine row carries, stored once.

A signature is what many bad records share: the classification (category, fingerprint, reason),
the exception type and the traceback. The traceback is stored as a template: when it ends with
the record's own message (the usual ``Type: message`` last line), that message is cut off
(``message_at_end``) and put back from the quarantine row's ``error_message`` when read, so one
signature serves every record that failed the same way with a different value.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, String, Table, Text

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import UtcDateTime, long_text

#: Length of a signature key: the first 16 hex digits of a SHA-256 of its content (32 before
#: migration ``d0029be7fa60``; 64 bits keep collisions between distinct errors out of reach).
SIGNATURE_KEY_LEN = 16

error_signature_table = Table(
    "errorguard_error_signature",
    errorguard_metadata,
    Column("signature_key", String(SIGNATURE_KEY_LEN), primary_key=True),
    Column("error_category", String(32), nullable=False),
    Column("error_type", String(250), nullable=True),
    Column("fingerprint", String(64), nullable=True),
    Column("reason", Text, nullable=True),
    Column("traceback", long_text(), nullable=True),
    Column("message_at_end", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Set by every write that references the signature: a purge keeps signatures used within its
    # grace period (:data:`airflow_errorguard.storage.signatures.PURGE_GRACE`).
    Column("last_used_at", UtcDateTime, nullable=False),
)
