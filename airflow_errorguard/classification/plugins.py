"""Extra classifiers contributed by other packages through the ``airflow_errorguard.classifiers`` group."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from airflow_errorguard.classification.rules import Rule

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "airflow_errorguard.classifiers"


@lru_cache(maxsize=1)
def load_plugins() -> tuple[tuple[Rule, ...], tuple[Callable[[BaseException], Any], ...]]:
    """
    Load every entry point of the group, once per process.

    An entry point may name a callable ``(exc) -> Classification | None``, an object with a
    ``classify(exc)`` method, or a list of :class:`Rule`. One that fails to load is logged and
    skipped; it never stops classification.
    """
    rules: list[Rule] = []
    classifiers: list[Callable[[BaseException], Any]] = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry_point.load()
        except Exception as err:
            log.warning("errorguard: classifier plugin %r failed to load: %r", entry_point.value, err)
            continue
        if isinstance(loaded, (list, tuple)) and all(isinstance(r, Rule) for r in loaded):
            rules.extend(loaded)
        elif callable(getattr(loaded, "classify", None)):
            classifiers.append(loaded.classify)
        elif callable(loaded):
            classifiers.append(loaded)
        else:
            log.warning(
                "errorguard: classifier plugin %r is not a callable or a rule list", entry_point.value
            )
    return tuple(rules), tuple(classifiers)
