"""
The cluster policy on real Airflow operators and DAGs (parse time, no metadata DB): what it
attaches, what it leaves alone, idempotence, opt-out/opt-in, both install forms through Airflow's
own policy plugin manager, and a DagBag parsing a DAG file that never imports errorguard.
"""

from __future__ import annotations

import copy
import logging
import textwrap
import types
from datetime import datetime
from pathlib import Path
from typing import Any

import pluggy
import pytest
from airflow import policies
from airflow.exceptions import AirflowClusterPolicyViolation
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

from airflow_errorguard import compat
from airflow_errorguard import policy as policy_module
from airflow_errorguard.alerts.callback import ErrorGuardCallback
from airflow_errorguard.circuits.outcomes import CircuitOutcomeCallback
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.operators.guarded import GuardedOperator
from airflow_errorguard.policy import (
    CALLBACKS,
    EntryPointPolicy,
    ErrorGuardPolicy,
    PolicyAlerts,
    PolicyCircuitOutcome,
    task_policy,
)
from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

pytestmark = pytest.mark.airflow

START = datetime(2026, 1, 1)
ENV = "AIRFLOW__ERRORGUARD__CLUSTER_POLICY"


def mine(context: Any) -> None:
    """A user's own callback."""


def also_mine(context: Any) -> None:
    """Another one."""


def _dag(dag_id: str = "eg_policy", **kwargs: Any) -> DAG:
    return DAG(dag_id, schedule=None, start_date=START, **kwargs)


def _state(op: Any) -> tuple[Any, ...]:
    return (op.retry_policy, *(list(getattr(op, name)) for name in CALLBACKS))


def _kinds(callbacks: Any) -> list[str]:
    return [type(cb).__name__ if not isinstance(cb, types.FunctionType) else cb.__name__ for cb in callbacks]


@pytest.fixture(autouse=True)
def _no_policy_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)


def test_the_one_line_install_attaches_errorguard_beside_the_users_callbacks() -> None:
    with _dag():
        bash = BashOperator(
            task_id="bash", bash_command="true", on_failure_callback=mine, on_retry_callback=[mine, also_mine]
        )

        @task
        def double(x: int) -> int:
            return 2 * x

        mapped = double.expand(x=[1, 2]).operator  # type: ignore[attr-defined]
    for op in (bash, mapped):
        task_policy(op)
        assert isinstance(op.retry_policy, ErrorGuardRetryPolicy) is compat.HAS_NATIVE_RETRY_POLICY
    assert _kinds(bash.on_failure_callback) == ["mine", "PolicyAlerts"]
    assert _kinds(bash.on_retry_callback) == ["mine", "also_mine", "PolicyAlerts"]
    assert _kinds(bash.on_success_callback) == ["PolicyAlerts"]
    assert all(_kinds(getattr(mapped, name)) == ["PolicyAlerts"] for name in CALLBACKS)
    # One shared callback and one retry policy for every task of the process.
    assert bash.on_failure_callback[-1] is mapped.on_success_callback[-1]
    assert bash.retry_policy is mapped.retry_policy
    assert bash.has_on_failure_callback and mapped.has_on_retry_callback


def test_applying_it_twice_attaches_once() -> None:
    with _dag():
        op = BashOperator(task_id="bash", bash_command="true", on_failure_callback=mine)
    task_policy(op)
    once = _state(op)
    task_policy(op)
    ErrorGuardPolicy()(op)  # another instance (say the entry point and the settings file)
    assert _state(op) == once


def test_what_the_task_sets_itself_wins() -> None:
    own_policy = ErrorGuardRetryPolicy(base_delay=1) if compat.HAS_NATIVE_RETRY_POLICY else None
    alerts = ErrorGuardCallback(notifiers=[mine])
    with _dag(default_args={**alerts.default_args()}):
        op = BashOperator(task_id="bash", bash_command="true", retry_policy=own_policy)
        bound = BashOperator(task_id="bound", bash_command="true", on_failure_callback=alerts.on_failure)
    before = _state(op)
    task_policy(op)
    assert _state(op) == before  # its own retry policy, its own ErrorGuardCallback
    task_policy(bound)
    assert _kinds(bound.on_failure_callback) == ["method"]  # a bound ErrorGuardCallback counts too
    assert bound.on_success_callback == [alerts]


def test_opt_out_by_dag_tag_and_by_task_param() -> None:
    with _dag("eg_off", tags=["errorguard:off", "team:a"]):
        tagged = BashOperator(task_id="t", bash_command="true", on_failure_callback=mine)
    with _dag("eg_on"):
        opted_out = BashOperator(task_id="o", bash_command="true", params={"errorguard": "off"})
        also_out = BashOperator(task_id="f", bash_command="true", params={"errorguard": False})
        kept = BashOperator(task_id="k", bash_command="true", params={"errorguard": "on"})
    for op in (tagged, opted_out, also_out, kept):
        before = _state(op)
        task_policy(op)
        assert (_state(op) == before) is (op is not kept), op.task_id


def test_opt_in_mode_only_touches_tagged_dags_and_off_mode_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with _dag("eg_plain"):
        plain = BashOperator(task_id="p", bash_command="true")
        task_level = BashOperator(task_id="t", bash_command="true", params={"errorguard": "on"})
    with _dag("eg_tagged", tags=["errorguard:on"]):
        tagged = BashOperator(task_id="t", bash_command="true")
        opted_out = BashOperator(task_id="o", bash_command="true", params={"errorguard": "off"})
    monkeypatch.setenv(ENV, "off")
    task_policy(tagged)
    assert tagged.on_failure_callback == []
    monkeypatch.setenv(ENV, " Opt_In ")
    for op in (plain, task_level, tagged, opted_out):
        task_policy(op)
    assert [bool(op.on_failure_callback) for op in (plain, task_level, tagged, opted_out)] == [
        False,
        True,
        True,
        False,
    ]


def test_a_task_naming_a_circuit_records_its_outcomes_there() -> None:
    with _dag():
        op = BashOperator(task_id="crm", bash_command="true", params={"errorguard_circuit": "crm_api"})
    task_policy(op)
    if compat.HAS_NATIVE_RETRY_POLICY:  # the retry policy records failures; the callback successes
        assert op.retry_policy.circuit == "crm_api"  # type: ignore[union-attr]
        assert _kinds(op.on_failure_callback) == ["PolicyAlerts"]
        assert _kinds(op.on_success_callback) == ["PolicyCircuitOutcome", "PolicyAlerts"]
    assert all(cb.circuit == "crm_api" for name in CALLBACKS for cb in getattr(op, name))
    once = _state(op)
    task_policy(op)
    assert _state(op) == once


def test_below_airflow_3_3_the_circuit_callbacks_record_every_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compat, "HAS_NATIVE_RETRY_POLICY", False)
    with _dag():
        op = BashOperator(task_id="crm", bash_command="true", params={"errorguard_circuit": "crm_api"})
    task_policy(op)
    assert op.retry_policy is None
    assert all(_kinds(getattr(op, name)) == ["PolicyCircuitOutcome", "PolicyAlerts"] for name in CALLBACKS)


def test_a_task_already_recording_a_circuit_gets_no_second_recorder() -> None:
    record = CircuitOutcomeCallback("warehouse")
    with _dag():
        guarded = GuardedOperator(task_id="g", records=[1], process=str, circuit="crm_api")
        recorded = BashOperator(
            task_id="r", bash_command="true", on_success_callback=record, on_failure_callback=record
        )
    task_policy(guarded)
    task_policy(recorded)
    assert _kinds(guarded.on_success_callback) == ["PolicyAlerts"]
    assert guarded.on_success_callback[0].circuit == "crm_api"  # type: ignore[attr-defined]  # alerts fold into its incident
    assert _kinds(recorded.on_success_callback) == ["CircuitOutcomeCallback", "PolicyAlerts"]


@pytest.mark.parametrize(
    ("tags", "params", "problem"),
    [
        (["errorguard:of"], {}, "DAG tags ['errorguard:of']: use one of 'errorguard:off' or 'errorguard:on'"),
        (["errorguard:on", "errorguard:off"], {}, "DAG tags"),
        ([], {"errorguard": "disabled"}, 'params["errorguard"] must be "off" or "on"'),
        ([], {"errorguard_circuit": "crm api!"}, 'params["errorguard_circuit"]'),
        ([], {"errorguard_circuit": 7}, "a circuit name must be text"),
    ],
)
def test_a_malformed_errorguard_marker_fails_the_dag_naming_it(
    tags: list[str], params: dict[str, Any], problem: str
) -> None:
    with _dag("eg_bad", tags=tags):
        op = BashOperator(task_id="t", bash_command="true", params=params)
    with pytest.raises(
        AirflowClusterPolicyViolation, match=r"errorguard cluster policy, task eg_bad\.t"
    ) as err:
        task_policy(op)
    assert problem in str(err.value)
    assert op.on_failure_callback == []


def test_an_internal_error_leaves_the_task_untouched_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(policy_module, "_reported", set())
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__JITTER", "wobbly")
    with _dag():
        first = BashOperator(task_id="a", bash_command="true", on_failure_callback=mine)
        second = BashOperator(task_id="b", bash_command="true")
    with caplog.at_level(logging.DEBUG, logger="airflow_errorguard.policy"):
        task_policy(first)
        task_policy(second)
    assert (first.retry_policy, first.on_failure_callback, second.on_success_callback) == (None, [mine], [])
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # reported once per process, not once per task
    assert "left task eg_policy.a untouched" in errors[0].getMessage()
    assert "jitter" in errors[0].getMessage()


def test_a_non_callable_notifier_is_refused_where_the_settings_file_is_imported() -> None:
    with pytest.raises(ErrorGuardConfigError, match="notifier 'slack' is not callable"):
        ErrorGuardPolicy(notifiers=["slack"])


def test_the_deferred_callbacks_build_nothing_at_parse_time_and_survive_copies() -> None:
    policy = ErrorGuardPolicy(notifiers=[mine])
    with _dag():
        op = BashOperator(task_id="t", bash_command="true", params={"errorguard_circuit": "crm_api"})
    policy(op)
    alerts, outcome = op.on_failure_callback[-1], op.on_success_callback[0]
    assert isinstance(alerts, PolicyAlerts) and isinstance(outcome, PolicyCircuitOutcome)
    assert alerts._built is None and outcome._built is None
    assert copy.deepcopy(op).on_failure_callback[-1] is alerts
    built = alerts.build()
    assert isinstance(built, ErrorGuardCallback)
    assert (built.notifiers, built.circuit) == ((mine,), "crm_api")
    assert isinstance(outcome.build(), CircuitOutcomeCallback)


def test_a_deferred_callback_that_cannot_be_built_does_not_disturb_the_task(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(PolicyAlerts):
        def build(self) -> Any:
            raise RuntimeError("storage is down")

    Broken(ErrorGuardPolicy(), None)({"ti": None})
    assert "Broken not run: RuntimeError('storage is down')" in caplog.text


def _policy_manager() -> pluggy.PluginManager:
    """A plugin manager set up the way ``airflow.settings`` sets up its own."""
    manager = pluggy.PluginManager(policies.local_settings_hookspec.project_name)
    manager.add_hookspecs(policies)
    manager.register(policies.DefaultPolicy)
    return manager


def test_the_entry_point_is_registered_and_inactive_until_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = _policy_manager()
    manager.load_setuptools_entrypoints("airflow.policy")
    assert manager.get_plugin("errorguard") is EntryPointPolicy
    with _dag():
        op = BashOperator(task_id="t", bash_command="true")
    manager.hook.task_policy(task=op)
    assert op.on_failure_callback == []  # installing the package changes no task
    monkeypatch.setenv(ENV, "all")
    manager.hook.task_policy(task=op)
    assert _kinds(op.on_failure_callback) == ["PolicyAlerts"]


def test_the_settings_file_form_through_airflows_own_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """``airflow_local_settings.py`` with the one line, next to the entry point: attached once."""
    local_settings = types.ModuleType("airflow_local_settings")
    exec("from airflow_errorguard.policy import task_policy", local_settings.__dict__)
    manager = _policy_manager()
    manager.load_setuptools_entrypoints("airflow.policy")
    names = {name for name in local_settings.__dict__ if not name.startswith("__")}
    assert policies.make_plugin_from_local_settings(manager, local_settings, names) == {"task_policy"}
    monkeypatch.setenv(ENV, "all")  # the entry point is active too
    with _dag():
        op = BashOperator(task_id="t", bash_command="true", on_failure_callback=mine)
    manager.hook.task_policy(task=op)
    assert _kinds(op.on_failure_callback) == ["mine", "PolicyAlerts"]


def test_a_dagbag_gives_a_dag_without_errorguard_code_its_decisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the DAG processor does: parse the file, run the policy, serialize the callback flags."""
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    (tmp_path / "plain.py").write_text(
        textwrap.dedent(
            """
            from datetime import datetime
            from airflow.sdk import DAG, task

            with DAG("eg_policy_file", schedule=None, start_date=datetime(2026, 1, 1)):
                @task(retries=3)
                def load():
                    raise KeyError("api_url")

                load()
            """
        )
    )
    monkeypatch.setattr(settings, "task_policy", task_policy)
    bag = DagBag(dag_folder=str(tmp_path))
    assert bag.import_errors == {}
    op = bag.dags["eg_policy_file"].get_task("load")
    assert _kinds(op.on_failure_callback) == ["PolicyAlerts"]
    serialized = DagSerialization.to_dict(bag.dags["eg_policy_file"])["dag"]["tasks"][0]["__var"]
    assert serialized["has_on_failure_callback"] and serialized["has_on_retry_callback"]
    assert serialized.get("has_retry_policy", False) is compat.HAS_NATIVE_RETRY_POLICY
