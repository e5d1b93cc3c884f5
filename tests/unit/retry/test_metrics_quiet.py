"""
The policy's metrics check stays current: :func:`.metrics.quiet` keeps its ``False`` verdict only
while ``Stats.incr`` and Airflow's created backend are the objects it was reached on, so a test
double, a backend configured later or one re-created after a fork is seen on the next decision.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_mock import MockerFixture

from airflow_errorguard import metrics
from airflow_errorguard.compat import Stats
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

pytestmark = [
    pytest.mark.airflow33,  # ErrorGuardRetryPolicy needs Airflow 3.3+
    pytest.mark.skipif(
        not hasattr(sys.modules.get(getattr(Stats.incr, "__module__", ""), None), "NoStatsLogger"),
        reason="this Airflow's Stats has no NoStatsLogger backend to be quiet with",
    ),
]


@pytest.fixture
def stats_module() -> Iterator[dict[str, Any]]:
    """The globals of Airflow's stats module, its ``_backend`` restored afterwards."""
    module = vars(sys.modules[Stats.incr.__module__])
    saved = module.get("_backend")
    module["_backend"] = module["NoStatsLogger"]()
    metrics.forget_quiet()
    yield module
    module["_backend"] = saved
    metrics.forget_quiet()


def _decide(policy: ErrorGuardRetryPolicy) -> None:
    policy.evaluate(ConnectionResetError(104, "Connection reset by peer"), 1, 3)


def test_quiet_without_a_backend_and_cached(stats_module: dict[str, Any]) -> None:
    assert metrics.quiet() and not metrics.enabled()
    assert metrics.QUIET[0][3] is stats_module["_backend"]
    assert metrics.quiet()


def test_a_replaced_incr_is_seen_after_a_quiet_decision(
    stats_module: dict[str, Any], mocker: MockerFixture
) -> None:
    policy = ErrorGuardRetryPolicy()
    _decide(policy)
    assert metrics.QUIET[0][0] is Stats, "no backend: the verdict is kept"
    incr = mocker.patch.object(Stats, "incr")
    _decide(policy)
    assert [c.args[0] for c in incr.call_args_list] == ["errorguard.decision"]


def test_a_backend_configured_later_is_seen(stats_module: dict[str, Any], mocker: MockerFixture) -> None:
    policy = ErrorGuardRetryPolicy()
    _decide(policy)
    assert metrics.QUIET[0][0] is Stats
    backend = mocker.Mock()
    stats_module["_backend"] = backend  # what Airflow's initialize() and _get_backend() leave
    _decide(policy)
    assert [c.args[0] for c in backend.incr.call_args_list] == ["errorguard.decision"]


def test_a_backend_reset_after_a_fork_is_created_again(stats_module: dict[str, Any]) -> None:
    policy = ErrorGuardRetryPolicy()
    _decide(policy)
    before = metrics.QUIET[0][3]
    stats_module["_backend"] = None  # Airflow's after-fork hook
    assert metrics.quiet(), "still no StatsD/OTel configured"
    assert metrics.QUIET[0][3] is not before and metrics.QUIET[0][3] is stats_module["_backend"]
