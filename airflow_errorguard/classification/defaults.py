"""The process-wide default :class:`Classifier`, built by a replaceable factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.plugins import load_plugins

log = logging.getLogger(__name__)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _builtin_factory() -> Classifier:
    rules, classifiers = load_plugins()
    return Classifier(rules=rules, plugins=classifiers)


_factory: Callable[[], Classifier] = _builtin_factory


def set_default_classifier_factory(factory: Callable[[], Classifier]) -> None:
    """
    Replace how the default classifier is built.

    The factory is called on every :func:`get_default_classifier` call and may cache; the Airflow
    integration installs one that reads ``[errorguard] rules_file``.
    """
    global _factory  # noqa: PLW0603 - the one process-wide default
    with _lock:
        _factory = factory


def get_default_classifier() -> Classifier:
    """The classifier used when none is given explicitly."""
    return _factory()


def classify(exc: BaseException, context: Mapping[str, Any] | None = None) -> Classification:
    """
    Classify *exc* with the default classifier. Never raises.

    When the default classifier cannot be built (an invalid rules file), the built-in knowledge
    classifies instead and the problem is logged; policies and operators surface that problem at
    DAG parse time.
    """
    try:
        classifier = get_default_classifier()
    except Exception as err:
        log.warning("errorguard: default classifier unavailable, using built-ins only: %s", err)
        classifier = _builtin_factory()
    return classifier.classify(exc, context)
