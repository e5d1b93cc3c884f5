"""
``errorguard_hourly_count``: error events and quarantine rows per UTC hour, DAG and category.

A rollup of ``errorguard_error_event`` / ``errorguard_quarantine`` (``source`` ``event`` /
``quarantine``) for the pictures over time; ``hour`` counts whole hours since 1970-01-01 UTC (an
integer, so readers bucket hours with portable integer arithmetic). ``errorguard_rollup_state``
says which hours of each source it holds (``[filled_from, filled_until)``) and is the row fills
and purges lock.
See :mod:`airflow_errorguard.storage.rollup`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table

from airflow_errorguard.storage.tables.base import errorguard_metadata
from airflow_errorguard.storage.tables.column_types import UtcDateTime, id_string

SOURCE_LEN = 16
CATEGORY_LEN = 32

hourly_count_table = Table(
    "errorguard_hourly_count",
    errorguard_metadata,
    Column("source", String(SOURCE_LEN), primary_key=True),
    Column("hour", Integer, primary_key=True, autoincrement=False),
    Column("dag_id", id_string(), primary_key=True),
    Column("category", String(CATEGORY_LEN), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

rollup_state_table = Table(
    "errorguard_rollup_state",
    errorguard_metadata,
    Column("source", String(SOURCE_LEN), primary_key=True),
    Column("filled_from", UtcDateTime, nullable=True),
    Column("filled_until", UtcDateTime, nullable=True),
)
