"""
What the ``[errorguard]`` settings build: the configured classifier, and the rules file read once
per modification time (the one cache of it: rules and the ``circuits:`` section both read it here).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.plugins import load_plugins
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.classification.rules_file import read_document, rules_from_document
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.settings import ErrorGuardSettings, load_settings


def rules_file_mtime(path: str) -> float:
    """The modification time of the rules file at *path* (``0.0`` for no file)."""
    if not path:
        return 0.0
    try:
        return os.stat(path).st_mtime
    except OSError as err:
        raise ErrorGuardConfigError(f"rules file {path}: cannot be read: {err}") from err


@lru_cache(maxsize=8)
def _document(path: str, mtime: float) -> Any:
    return read_document(Path(path))


def rules_file_document(path: str) -> Any:
    """The parsed rules file at *path*, parsed again only when its modification time changes."""
    return _document(path, rules_file_mtime(path)) if path else None


@lru_cache(maxsize=8)
def _classifier_for(rules_file: str, mtime: float, with_plugins: bool, extra: tuple[Rule, ...]) -> Classifier:
    rules: list[Rule] = list(extra)
    if rules_file:
        rules.extend(rules_from_document(_document(rules_file, mtime), rules_file))
    plugin_rules, plugin_classifiers = load_plugins() if with_plugins else ((), ())
    return Classifier(rules=[*rules, *plugin_rules], plugins=plugin_classifiers)


def build_classifier(
    rules: tuple[Rule, ...] = (), rules_file: str | None = None, settings: ErrorGuardSettings | None = None
) -> Classifier:
    """
    A classifier with *rules* first, then the rules file (``rules_file`` or the configured one),
    then plugin rules and classifiers. Cached per rules file modification time.

    :raises ErrorGuardConfigError: the rules file is missing or invalid.
    """
    settings = settings or load_settings()
    path = settings.rules_file if rules_file is None else rules_file
    return _classifier_for(path, rules_file_mtime(path), settings.load_plugin_classifiers, tuple(rules))


@lru_cache(maxsize=1)
def _airflow_configured() -> bool:
    """Whether Airflow's configuration can be read here (asked once: an import costs ~2 µs a call)."""
    try:
        from airflow_errorguard.compat import conf  # noqa: F401
    except ImportError:
        return False
    return True


def airflow_default_classifier() -> Classifier:
    """
    Factory for :func:`~airflow_errorguard.classification.defaults.set_default_classifier_factory`:
    the configured rules file and plugins; built-ins only where Airflow is not installed. Called for
    every public ``classify()``: the settings are cached (:func:`.load_settings`) and the rules file's
    modification time is checked on each call.
    """
    if not _airflow_configured():
        return _classifier_for("", 0.0, True, ())
    return build_classifier()


def clear_caches() -> None:
    """Forget the cached rules file and classifiers (tests; a long-lived process after a change)."""
    _document.cache_clear()
    _classifier_for.cache_clear()


__all__ = ["airflow_default_classifier", "build_classifier", "clear_caches", "rules_file_document"]
