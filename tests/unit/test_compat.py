"""``airflow_errorguard.compat`` against the Airflow actually installed (3.1, 3.2 or 3.3).

The flags are checked against what the installed Airflow really offers, and below 3.3 the native
retry policy is refused loudly (on 3.3 the refusal is exercised by lowering the flag).
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest
from packaging.version import Version

from airflow_errorguard import compat
from airflow_errorguard.exceptions import ErrorGuardConfigError

pytestmark = pytest.mark.unit


def test_the_flags_match_what_the_installed_airflow_offers() -> None:
    import airflow
    import airflow.sdk

    assert Version(airflow.__version__).release[:3] == compat.AIRFLOW_VERSION.release[:3]
    assert hasattr(airflow.sdk, "RetryPolicy") == compat.HAS_NATIVE_RETRY_POLICY
    assert (importlib.util.find_spec("airflow.sdk.configuration") is not None) == compat.AIRFLOW_V_3_2_PLUS
    assert (Version("3.3") <= compat.AIRFLOW_VERSION) == compat.AIRFLOW_V_3_3_PLUS
    assert (Version("3.2") > compat.AIRFLOW_VERSION) == compat.NEEDS_EXTERNAL_DB_MANAGERS_SETTING


@pytest.mark.parametrize(
    "name",
    [
        "AirflowFailException",
        "AirflowRescheduleException",
        "AirflowNotFoundException",
        "AirflowSkipException",
        "AirflowSensorTimeout",
        "AirflowTaskTimeout",
    ],
)
def test_airflow_exceptions_are_the_classes_the_task_runner_handles(name: str) -> None:
    """The class Airflow's own task runner catches (task SDK on 3.2+, ``airflow.exceptions`` on 3.1)."""
    runner = importlib.import_module("airflow.sdk.execution_time.task_runner")
    resolved = getattr(compat, name)
    assert issubclass(resolved, BaseException)
    if name in vars(runner):  # the names the task runner imports are the ones it catches
        assert vars(runner)[name] is resolved


def test_conf_and_stats_resolve_on_this_airflow() -> None:
    assert compat.conf.get("core", "dags_folder")
    assert callable(compat.Stats.incr)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'RetryMagic'"):
        compat.RetryMagic  # noqa: B018


def _below_33(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this process behave as Airflow 3.1/3.2 would (a no-op where that is what is installed)."""
    monkeypatch.setattr(compat, "HAS_NATIVE_RETRY_POLICY", False)
    monkeypatch.setattr(compat, "AIRFLOW_VERSION", min(compat.AIRFLOW_VERSION, Version("3.2.2")))


def test_the_retry_policy_is_refused_loudly_below_33(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_errorguard import ErrorGuardRetryPolicy
    from airflow_errorguard.alerts import LearningRetryPolicy

    _below_33(monkeypatch)
    with pytest.raises(ErrorGuardConfigError) as info:
        ErrorGuardRetryPolicy(base_delay=1)
    message = str(info.value)
    assert message.startswith("ErrorGuardRetryPolicy needs Airflow 3.3+")
    assert f"this is Airflow {compat.AIRFLOW_VERSION}" in message
    assert "would silently ignore it" in message
    for what_to_use in ("@task.guarded", "GuardedOperator", "ErrorGuardCallback", "upgrade Airflow to 3.3"):
        assert what_to_use in message
    with pytest.raises(ErrorGuardConfigError, match=r"^LearningRetryPolicy needs Airflow 3\.3\+"):
        LearningRetryPolicy()


def test_the_installed_airflow_decides_whether_the_policy_builds() -> None:
    """No monkeypatching: 3.3 builds the policy, 3.1/3.2 refuse it (this runs on every lane)."""
    from airflow_errorguard import ErrorGuardRetryPolicy

    if compat.HAS_NATIVE_RETRY_POLICY:
        import airflow.sdk

        assert isinstance(ErrorGuardRetryPolicy(), airflow.sdk.RetryPolicy)
    else:
        with pytest.raises(ErrorGuardConfigError, match=rf"this is Airflow {compat.AIRFLOW_VERSION}"):
            ErrorGuardRetryPolicy()
        assert compat.RetryPolicy.__name__ == "_RetryPolicyBelow33"


def test_the_guarded_operator_installs_no_policy_below_33(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below 3.3 ``GuardedOperator`` builds without a retry policy (it fails fast itself)."""
    from airflow_errorguard import GuardedOperator
    from airflow_errorguard.classification.classifier import Classifier

    _below_33(monkeypatch)
    monkeypatch.setattr("airflow_errorguard.operators.guarded.HAS_NATIVE_RETRY_POLICY", False)
    op = GuardedOperator(task_id="portable", records=[1], process=str, classifier=Classifier())
    assert not hasattr(op, "retry_policy") or op.retry_policy is None


def test_below_33_the_guarded_task_fails_where_the_policy_would() -> None:
    """What ``GuardedOperator.execute`` does below 3.3 with an error from outside ``process``."""
    from airflow_errorguard.classification.classifier import Classifier
    from airflow_errorguard.operators.guarded import _fail_fast_without_retry_policy

    classifier = Classifier()
    typo = KeyError("cusotmer_id")
    with pytest.raises(compat.AirflowFailException, match="failing without retry") as info:
        _fail_fast_without_retry_policy(typo, classifier, {})
    assert info.value.__cause__ is typo  # the task's own error stays attached
    denied = PermissionError(13, "Permission denied", "/data/in.csv")
    with pytest.raises(compat.AirflowFailException, match=r"\(configuration\)"):
        _fail_fast_without_retry_policy(denied, classifier, {})
    # Transient, system, unknown and Airflow's own control flow: Airflow's retries apply.
    for err in (ConnectionResetError(), MemoryError(), RuntimeError("odd"), compat.AirflowSkipException()):
        assert _fail_fast_without_retry_policy(err, classifier, {}) is None


def test_dag_test_exception_flag_matches_the_installed_in_process_runner() -> None:
    """3.3's InProcessTestSupervisor puts the exception into the context; 3.1/3.2's do not."""
    import inspect

    from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor

    source = inspect.getsource(InProcessTestSupervisor.start)
    assert ('context["exception"] = error' in source) == compat.DAG_TEST_CONTEXT_HAS_EXCEPTION


def _inside_finalize(error: BaseException | None) -> BaseException | None:
    """Calls ``finalizing_task_error`` from a ``finalize(...)`` of the task runner's module name."""
    namespace: dict[str, object] = {"__name__": "airflow.sdk.execution_time.task_runner", "compat": compat}
    exec(  # a stand-in of task_runner.finalize(ti, state, context, log, error) running a callback
        "def finalize(error):\n    return (lambda: compat.finalizing_task_error())()\n", namespace
    )
    return namespace["finalize"](error)  # type: ignore[operator]


def test_finalizing_task_error_recovers_finalizes_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "DAG_TEST_CONTEXT_HAS_EXCEPTION", False)
    error = ValueError("bad row")
    assert _inside_finalize(error) is error
    assert _inside_finalize(None) is None
    assert compat.finalizing_task_error() is None  # not inside finalize: the DAG processor's case
    monkeypatch.setattr(compat, "DAG_TEST_CONTEXT_HAS_EXCEPTION", True)
    assert _inside_finalize(error) is None  # 3.3: the context has it


def test_retry_policy_args(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from datetime import timedelta

    from airflow_errorguard import retry_policy_args
    from airflow_errorguard.retry import args

    if compat.HAS_NATIVE_RETRY_POLICY:
        built = retry_policy_args(base_delay=timedelta(seconds=2))
        assert list(built) == ["retry_policy"]
        assert built["retry_policy"].backoff.base_delay == timedelta(seconds=2)
    monkeypatch.setattr(compat, "HAS_NATIVE_RETRY_POLICY", False)
    monkeypatch.setattr(args, "_warned", [])
    with caplog.at_level("WARNING", logger=args.__name__):
        assert retry_policy_args(base_delay=timedelta(seconds=2)) == {}
        assert retry_policy_args() == {}
    assert len(caplog.records) == 1  # said once per process, never silent
    assert "no native retry_policy" in caplog.records[0].getMessage()
    with pytest.raises(TypeError):
        retry_policy_args(base_dealy=timedelta(seconds=2))  # misspelled: refused on every version
