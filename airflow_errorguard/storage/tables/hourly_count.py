"""
``errorguard_hourly_count``: error events and quarantine rows per UTC hour, DAG and category;
``errorguard_hourly_fingerprint``: the same per UTC hour, DAG, fingerprint and category.

A rollup of ``errorguard_error_event`` / ``errorguard_quarantine`` (``source`` ``event`` /
``quarantine``) for the pictures over time; ``hour`` counts whole hours since 1970-01-01 UTC (an
integer, so readers bucket hours with portable integer arithmetic). The fingerprint rollup keeps
what the top patterns need exactly: the count, the first and last ``created_at`` and the largest
error type of the hour's rows (rows without a fingerprint are left out). ``errorguard_rollup_state``
says which hours of each source both hold (``[filled_from, filled_until)``), is the row fills
and purges lock, and counts their recounts (``generation``).
See :mod:`airflow_errorguard.storage.rollup`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import UtcDateTime, id_string

SOURCE_LEN = 16
CATEGORY_LEN = 32
FINGERPRINT_LEN = 64
TYPE_LEN = 250

hourly_count_table = Table(
    "errorguard_hourly_count",
    errorguard_metadata,
    Column("source", String(SOURCE_LEN), primary_key=True),
    Column("hour", Integer, primary_key=True, autoincrement=False),
    Column("dag_id", id_string(), primary_key=True),
    Column("category", String(CATEGORY_LEN), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

hourly_fingerprint_table = Table(
    "errorguard_hourly_fingerprint",
    errorguard_metadata,
    Column("source", String(SOURCE_LEN), primary_key=True),
    Column("hour", Integer, primary_key=True, autoincrement=False),
    Column("dag_id", id_string(), primary_key=True),
    Column("fingerprint", String(FINGERPRINT_LEN), primary_key=True),
    Column("category", String(CATEGORY_LEN), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("first_at", UtcDateTime, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
    #: The largest ``exception_type`` (events) / ``error_type`` (quarantine) of the hour's rows.
    Column("error_type", String(TYPE_LEN), nullable=True),
    Index("ix_errorguard_hourly_fingerprint_fp_hour", "source", "fingerprint", "hour"),
)

rollup_state_table = Table(
    "errorguard_rollup_state",
    errorguard_metadata,
    Column("source", String(SOURCE_LEN), primary_key=True),
    Column("filled_from", UtcDateTime, nullable=True),
    Column("filled_until", UtcDateTime, nullable=True),
    #: Bumped by every recount (:func:`airflow_errorguard.storage.rollup.lock`): a memo of summed
    #: hours read under one generation is exact while it stays the same.
    Column("generation", BigInteger, nullable=False, server_default="0"),
)
