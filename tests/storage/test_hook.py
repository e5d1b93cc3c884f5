"""ErrorGuardHook in a server/CLI process (the pytest process): connections, fallback, task detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_errorguard.compat import NEEDS_EXTERNAL_DB_MANAGERS_SETTING
from airflow_errorguard.exceptions import ErrorGuardStorageConfigError, ErrorGuardStorageError
from airflow_errorguard.hooks.errorguard import ErrorGuardHook
from airflow_errorguard.hooks.runtime import orm_blocked
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from tests.harness import AirflowEnv

pytestmark = pytest.mark.airflow
TASK = TaskIdentity("etl", "load", "manual__1")


def test_hook_on_a_connection_defined_by_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_file = tmp_path / "eg.db"
    monkeypatch.setenv("AIRFLOW_CONN_EG_HOOK_TEST", f"sqlite:///{db_file}")
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__REDACT_FIELDS", "Card, ssn")
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__MAX_PAYLOAD_BYTES", "2048")
    hook = ErrorGuardHook(errorguard_conn_id="eg_hook_test")
    assert hook.get_uri() == f"sqlite:///{db_file}"
    assert hook.source == "connection"
    assert hook.test_connection()[0] is False  # no tables yet: says so instead of raising
    assert hook.upgrade_schema() is not None
    ok, message = hook.test_connection()
    assert ok, message
    assert hook.payload_policy.max_bytes == 2048
    assert hook.payload_policy.redact_fields == {"card", "ssn"}
    assert hook.quarantine.add(TASK, [QuarantineItem("k", {"card": "4111"})]).inserted == 1
    assert "4111" not in (hook.quarantine.page(include_payload=True).items[0].payload or "")
    # One engine per process and URL, shared by every hook on that connection.
    assert (
        ErrorGuardHook(errorguard_conn_id="eg_hook_test").get_sqlalchemy_engine()
        is hook.get_sqlalchemy_engine()
    )
    assert hook.get_records("SELECT count(*) FROM errorguard_quarantine") == [(1,)]  # DbApiHook API


def test_unreachable_connection_error_names_it_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_EG_DOWN", "postgresql://eg:topsecret@127.0.0.1:1/airflow?connect_timeout=2"
    )
    hook = ErrorGuardHook(errorguard_conn_id="eg_down")
    with pytest.raises(ErrorGuardStorageError, match="connection 'eg_down'") as caught:
        hook.checkpoints.find()
    assert caught.value.transient and "topsecret" not in str(caught.value)
    ok, message = hook.test_connection()
    assert not ok and "eg_down" in message


def test_missing_driver_and_unsupported_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_EG_NODRIVER", "mysql+mysqldb://u:p@h:3306/x")  # mysqlclient absent
    with pytest.raises(
        ErrorGuardStorageConfigError, match="connection 'eg_nodriver' needs the database driver"
    ):
        ErrorGuardHook(errorguard_conn_id="eg_nodriver").get_sqlalchemy_engine()
    monkeypatch.setenv("AIRFLOW_CONN_EG_HTTP", "http://example.com")
    with pytest.raises(ErrorGuardStorageConfigError, match="has type 'http'"):
        ErrorGuardHook(errorguard_conn_id="eg_http").get_sqlalchemy_engine()


def test_server_process_falls_back_to_the_metadata_database(airflow_db: AirflowEnv) -> None:
    assert not orm_blocked()
    hook = ErrorGuardHook()  # errorguard_default is not defined in this test session
    assert hook.source == "metadata"
    assert hook.get_uri() == airflow_db.sql_alchemy_conn
    ok, message = hook.test_connection()  # `airflow db migrate` created errorguard's tables
    assert ok, message


def test_task_process_without_connection_says_what_to_set(
    airflow_db: AirflowEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the task supervisor's block_orm_access() does to a task process's environment.
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "airflow-db-not-allowed:///")
    assert orm_blocked()
    with pytest.raises(ErrorGuardStorageConfigError) as caught:
        ErrorGuardHook().quarantine.count()
    message = str(caught.value)
    assert "connection 'errorguard_default' is not defined" in message
    assert "AIRFLOW_CONN_ERRORGUARD_DEFAULT='postgresql://" in message
    assert caught.value.conn_id == "errorguard_default"


def test_task_sdk_supervisor_channel_counts_as_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.execution_time import task_runner

    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", object(), raising=False)
    assert orm_blocked()  # e.g. under dag.test(): fail there too rather than only in production
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", None, raising=False)
    assert not orm_blocked()
    monkeypatch.setenv("_AIRFLOW_PROCESS_CONTEXT", "client")  # triggerer's trigger runner
    assert orm_blocked()


@pytest.mark.filterwarnings("ignore:ProvidersManager.hooks is deprecated")
def test_provider_registers_hook_connection_type_and_db_manager() -> None:
    from airflow.providers_manager import ProvidersManager

    from airflow_errorguard.get_provider_info import get_provider_info

    info = get_provider_info()
    assert info["db-managers"] == ["airflow_errorguard.storage.db_manager.ErrorGuardDBManager"]
    options = info["config"]["errorguard"]["options"]
    assert {"max_payload_bytes", "redact_fields", "hash_fields", "hash_key"} <= set(options)
    assert options["hash_key"]["sensitive"] is True
    manager = ProvidersManager()
    if NEEDS_EXTERNAL_DB_MANAGERS_SETTING:  # Airflow 3.1 reads no db-managers from providers
        assert not hasattr(manager, "db_managers")
    else:
        assert "airflow_errorguard.storage.db_manager.ErrorGuardDBManager" in manager.db_managers
    assert manager.hooks["errorguard"].hook_class_name == "airflow_errorguard.hooks.errorguard.ErrorGuardHook"
