"""Exceptions raised by errorguard itself."""

from __future__ import annotations


class ErrorGuardError(Exception):
    """Base class of every error errorguard raises on its own behalf."""


class ErrorGuardConfigError(ErrorGuardError, ValueError):
    """Invalid errorguard configuration: a bad rule, option or rules file (raised at DAG parse time)."""
