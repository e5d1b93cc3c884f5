"""
The shape of one built-in knowledge entry, ``(category, confidence, explanation)``, and the short
category names the knowledge tables are written with.
"""

from __future__ import annotations

from airflow_errorguard.classification.model import ErrorCategory

T = ErrorCategory.TRANSIENT
D = ErrorCategory.DATA
C = ErrorCategory.CONFIGURATION
S = ErrorCategory.SYSTEM

Entry = tuple[ErrorCategory, float, str]
