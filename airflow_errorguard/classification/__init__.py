"""
Exception classification (pure Python: nothing here imports Airflow).

:func:`classify` turns any exception into a :class:`Classification`: a category, an action, a
confidence, the rule that decided, a one-sentence reason, a fingerprint and an optional
``Retry-After``.
"""

from __future__ import annotations

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification, ErrorAction, ErrorCategory
from airflow_errorguard.classification.rules import Rule

__all__ = ["Classification", "Classifier", "ErrorAction", "ErrorCategory", "Rule"]
