"""
The process-wide default :class:`Classifier`, built by a replaceable factory.

The factory is found on first use (nothing is built at import): one set by
:func:`set_default_classifier_factory`, else the one errorguard declares in the entry-point group
``airflow_errorguard.default_classifier`` (the ``[errorguard]``-configured classifier; the pure
core does not import the configuration layer), else the built-in knowledge.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.plugins import load_plugins

log = logging.getLogger(__name__)
_lock = threading.Lock()

#: Entry-point group (and name) of the default factory, declared by errorguard's own package.
FACTORY_ENTRY_POINT_GROUP = "airflow_errorguard.default_classifier"
FACTORY_ENTRY_POINT_NAME = "errorguard"


@lru_cache(maxsize=1)
def _builtin_factory() -> Classifier:
    rules, classifiers = load_plugins()
    return Classifier(rules=rules, plugins=classifiers)


_factory: Callable[[], Classifier] | None = None  # None: not resolved yet


def _installed_factory() -> Callable[[], Classifier]:
    for entry_point in entry_points(group=FACTORY_ENTRY_POINT_GROUP, name=FACTORY_ENTRY_POINT_NAME):
        factory: Callable[[], Classifier] = entry_point.load()
        return factory
    return _builtin_factory


def set_default_classifier_factory(factory: Callable[[], Classifier]) -> None:
    """
    Replace how the default classifier is built.

    The factory is called on every :func:`get_default_classifier` call and may cache; without one,
    the first call takes errorguard's declared factory (it reads ``[errorguard] rules_file``).
    """
    global _factory  # noqa: PLW0603 - the one process-wide default
    with _lock:
        _factory = factory


def get_default_classifier() -> Classifier:
    """The classifier used when none is given explicitly."""
    global _factory  # noqa: PLW0603 - resolved once, on first use
    if _factory is None:
        with _lock:
            if _factory is None:
                _factory = _installed_factory()
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
