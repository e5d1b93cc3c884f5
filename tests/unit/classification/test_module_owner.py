"""``owning_module``: how the traceback facts (``call_site``, ``raised_in``) match a frame's module."""

from __future__ import annotations

import pytest

from airflow_errorguard.classification.call_site import CALL_SITE_MODULES, site_of
from airflow_errorguard.classification.module_owner import owning_module
from airflow_errorguard.classification.raised_in import LOADER_MODULES, loader_of

pytestmark = pytest.mark.unit

TABLE = {"redis": "redis-py", "urllib.parse": "urllib", "kombu.transport": "kombu"}


@pytest.mark.parametrize(
    ("module", "owner"),
    [
        ("redis", "redis"),
        ("redis.asyncio.connection", "redis"),
        ("urllib.parse", "urllib.parse"),
        ("urllib.request", None),  # a sibling of a listed submodule
        ("urllib", None),  # the package of a listed submodule
        ("redisx", None),  # a name that only starts like one
        ("kombu.transport.redis", "kombu.transport"),
        ("", None),
    ],
)
def test_the_nearest_enclosing_listed_module(module: str, owner: str | None) -> None:
    assert owning_module(module, TABLE) == owner
    assert owning_module(module, frozenset(TABLE)) == owner


def test_both_traceback_facts_match_submodules_through_it() -> None:
    some_site_module = next(iter(CALL_SITE_MODULES))
    assert site_of(some_site_module + ".inner", "anything") is not None
    assert site_of("not_a_library_at_all.inner", "anything") is None
    some_loader_module = next(iter(LOADER_MODULES))
    assert loader_of(some_loader_module + ".inner", "anything") is not None
    assert loader_of("not_a_library_at_all.inner", "anything") is None
