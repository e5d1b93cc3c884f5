"""
Index of the built-in code tables, one module per kind of code: HTTP status
(:mod:`.knowledge_http`), SQLSTATE (:mod:`.knowledge_sqlstate`), MySQL/MariaDB error numbers
(:mod:`.knowledge_mysql`), SQLite result codes (:mod:`.knowledge_sqlite`), errno and name resolution
(:mod:`.knowledge_errno`) and service codes (:mod:`.knowledge_cloud`). Each entry is
``code: (category, confidence, explanation)`` (:mod:`.knowledge_entry`).
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_cloud import CLOUD_CODE
from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T
from airflow_errorguard.classification.knowledge_errno import ERRNO, GAI_ERRNO
from airflow_errorguard.classification.knowledge_http import HTTP_CLASS, HTTP_STATUS
from airflow_errorguard.classification.knowledge_mysql import MYSQL, MYSQL_SERVER_ERROR
from airflow_errorguard.classification.knowledge_sqlite import SQLITE
from airflow_errorguard.classification.knowledge_sqlstate import SQLSTATE, SQLSTATE_CLASS

__all__ = [
    "CLOUD_CODE",
    "ERRNO",
    "GAI_ERRNO",
    "HTTP_CLASS",
    "HTTP_STATUS",
    "MYSQL",
    "MYSQL_SERVER_ERROR",
    "SQLITE",
    "SQLSTATE",
    "SQLSTATE_CLASS",
    "C",
    "D",
    "Entry",
    "S",
    "T",
]
