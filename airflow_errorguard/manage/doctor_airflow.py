"""
``errorguard doctor``'s Airflow checks: db manager, async database driver, plugin, listener and
cluster policy -- each read from Airflow's own registries, as Airflow's processes load them.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Iterable
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from airflow_errorguard.manage.doctor import FAIL, OK, WARN, Finding, raw_option

DB_MANAGER = "airflow_errorguard.storage.db_manager.ErrorGuardDBManager"
PLUGIN_NAME = "errorguard"
LISTENER_MODULES = ("airflow_errorguard.listeners.failures", "airflow_errorguard.listeners.killed")
POLICY_MODULE = "airflow_errorguard.policy"
POLICY_ENTRY_POINT = "airflow_errorguard"
POLICY_INSTALL = (
    "add `from airflow_errorguard.policy import task_policy` to airflow_local_settings.py "
    "($AIRFLOW_HOME/config/) wherever DAGs are parsed (DAG processors and workers)"
)


def db_manager_finding(
    honours_provider_key: bool, provider_managers: Iterable[str], configured: str, in_metadata: bool | None
) -> Finding:
    """
    Whether ``airflow db migrate`` manages errorguard's tables: Airflow 3.2+ reads the provider
    info's ``db-managers``; 3.1 reads only ``[database] external_db_managers``.
    """
    listed = {m.strip() for m in configured.split(",") if m.strip()}
    if DB_MANAGER in listed or (honours_provider_key and DB_MANAGER in set(provider_managers)):
        elsewhere = "; yours are in a database of their own: `errorguard db upgrade` migrates those"
        summary = "`airflow db migrate` creates and upgrades errorguard's tables in the metadata database"
        return Finding("db_manager", OK, summary + (elsewhere if in_metadata is False else ""))
    fix = f"set [database] external_db_managers = {DB_MANAGER} (AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS)"
    if configured.strip():
        fix = f"add {DB_MANAGER} to [database] external_db_managers (now {configured.strip()!r})"
    if not honours_provider_key:
        why = "this Airflow ignores the provider's db-managers key"
    else:
        why = "the airflow-errorguard provider is not registered with Airflow (`airflow providers list`)"
        fix = "install airflow-errorguard into Airflow's environment; " + fix
    if in_metadata is False:
        return Finding(
            "db_manager",
            WARN,
            f"{why}: `airflow db migrate` does not manage errorguard's tables; they are in a database "
            "of their own, where `errorguard db upgrade` creates them",
            fix,
        )
    return Finding(
        "db_manager",
        FAIL,
        f"{why}: `airflow db migrate` neither creates nor upgrades errorguard's tables",
        fix,
    )


def check_db_manager(in_metadata: bool | None) -> Finding:
    from airflow.providers_manager import ProvidersManager

    from airflow_errorguard import compat

    managers = getattr(ProvidersManager(), "db_managers", ()) if compat.AIRFLOW_V_3_2_PLUS else ()
    configured = raw_option("external_db_managers", "database")
    return db_manager_finding(compat.AIRFLOW_V_3_2_PLUS, managers, configured, in_metadata)


def _database_option(option: str) -> str:
    """
    ``[database] option`` without starting Airflow (whose start-up fails when the async driver is
    missing): the Airflow settings already loaded, else the environment, else ``airflow.cfg``.
    """
    settings = sys.modules.get("airflow.settings")
    if settings is not None and getattr(settings, "SQL_ALCHEMY_CONN", None):
        return raw_option(option, "database")
    value = os.environ.get(f"AIRFLOW__DATABASE__{option.upper()}", "").strip()
    if value:
        return value
    home = os.environ.get("AIRFLOW_HOME") or "~/airflow"
    path = Path(os.environ.get("AIRFLOW_CONFIG") or Path(home) / "airflow.cfg").expanduser()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser.get("database", option, fallback="").strip()


def check_async_driver() -> Finding:
    """With a PostgreSQL metadata database Airflow (the triggerer above all) needs an async driver."""
    from sqlalchemy.engine import make_url

    sync = _database_option("sql_alchemy_conn")
    if not sync.startswith("postgres"):
        backend = sync.split(":", 1)[0] or "sqlite"
        return Finding(
            "async_driver", OK, f"metadata database is {backend}, not PostgreSQL: nothing to check"
        )
    configured = _database_option("sql_alchemy_conn_async")
    url = make_url(configured or "postgresql+asyncpg:" + sync.split(":", 1)[1])
    fix = (
        "`pip install asyncpg`, or set AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC to the same database "
        "with an installed async driver (postgresql+psycopg://... needs psycopg 3)"
    )
    try:
        url.get_dialect().import_dbapi()
    except Exception as err:  # the driver is missing or does not load
        origin = "[database] sql_alchemy_conn_async" if configured else "the URL Airflow derives"
        return Finding(
            "async_driver",
            FAIL,
            f"{origin} uses {url.drivername}, whose driver cannot be loaded ({type(err).__name__}: "
            f"{err}): Airflow's async engine, which the triggerer runs deferred circuit sensors on, "
            "cannot be built",
            fix,
        )
    how = "[database] sql_alchemy_conn_async" if configured else f"{url.drivername} (derived)"
    return Finding("async_driver", OK, f"PostgreSQL metadata database; async driver from {how} loads")


def _plugins() -> tuple[list[Any], dict[str, str]]:
    from airflow import plugins_manager

    plugins_manager.ensure_plugins_loaded()
    loaded = plugins_manager._get_plugins()  # the cached result ensure_plugins_loaded built
    return list(loaded[0]), dict(loaded[1])


def check_plugin() -> Finding:
    """The ``errorguard`` plugin is loaded (the UI, its navigation entries and the listeners)."""
    plugins, errors = _plugins()
    ours = [p for p in plugins if getattr(p, "name", None) == PLUGIN_NAME]
    problems = {k: v for k, v in errors.items() if PLUGIN_NAME in k or "airflow_errorguard" in v}
    if problems:
        where, why = next(iter(problems.items()))
        return Finding(
            "plugin",
            FAIL,
            f"the errorguard plugin failed to load ({where}: {why}): no UI, no failure listener",
            "fix the import error above (`airflow plugins` shows it too)",
        )
    if not ours:
        return Finding(
            "plugin",
            FAIL,
            "the errorguard plugin is not loaded: no UI at /errorguard, failures of tasks without "
            "errorguard code are not recorded",
            "install airflow-errorguard into Airflow's environment and check `airflow plugins` lists "
            "errorguard ([core] lazy_load_plugins does not hide entry-point plugins)",
        )
    listeners = [getattr(m, "__name__", str(m)) for m in getattr(ours[0], "listeners", [])]
    return Finding("plugin", OK, f"plugin errorguard loaded (listeners: {', '.join(listeners) or 'none'})")


def _registered(manager: Any) -> set[str]:
    return {getattr(p, "__name__", "") for p in manager.pm.get_plugins()}


def check_listener() -> Finding:
    """The failure listener is registered where Airflow calls listeners, and enabled."""
    from airflow.listeners.listener import get_listener_manager

    managers: dict[str, Any] = {"Airflow": get_listener_manager()}
    if find_spec("airflow.sdk.listener") is not None:  # the task SDK's manager (task processes)
        from airflow.sdk.listener import get_listener_manager as sdk_listener_manager

        managers["task SDK"] = sdk_listener_manager()
    missing = [
        f"{module} in the {where} listener manager"
        for where, manager in managers.items()
        for module in LISTENER_MODULES
        if module not in _registered(manager)
    ]
    if missing:
        return Finding(
            "listener",
            FAIL,
            f"not registered: {'; '.join(missing)} -- failures of tasks without errorguard code "
            "(and killed tasks) are not recorded",
            "make sure the errorguard plugin loads (see the plugin check) in every Airflow process",
        )
    enabled = raw_option("listener_enabled") or "True"
    if enabled.lower() in ("false", "0", "no", "off", "f"):
        return Finding(
            "listener",
            WARN,
            "the listener is registered but [errorguard] listener_enabled is off: only tasks using "
            "errorguard code record their failures",
            "unset AIRFLOW__ERRORGUARD__LISTENER_ENABLED (or set it to True) to record every failure",
        )
    return Finding("listener", OK, f"failure listeners registered with {' and '.join(managers)} listeners")


def _ours(function: Any) -> bool:
    return str(getattr(function, "__module__", "") or "").startswith("airflow_errorguard")


def _policy_mode(source: str, mode: str) -> Finding:
    """The finding for an installed errorguard policy in *mode* (``all``, ``opt_in``, ``off``)."""
    if mode == "all":
        return Finding("cluster_policy", OK, f"{source}: attached to every task (cluster_policy = all)")
    if mode == "opt_in":
        return Finding(
            "cluster_policy", OK, f"{source}: attached to DAGs tagged errorguard:on (cluster_policy = opt_in)"
        )
    return Finding(
        "cluster_policy",
        WARN,
        f"{source} is installed but inactive ([errorguard] cluster_policy is "
        f"{mode if raw_option('cluster_policy') else 'unset'}): no task gets errorguard from it",
        "set AIRFLOW__ERRORGUARD__CLUSTER_POLICY=all (or opt_in: only DAGs tagged errorguard:on) wherever "
        f"DAGs are parsed, or {POLICY_INSTALL}",
    )


def check_cluster_policy() -> Finding:
    """errorguard's ``task_policy`` installed (airflow_local_settings or the entry point)."""
    from airflow.settings import get_policy_plugin_manager

    local = sys.modules.get("airflow_local_settings")
    local_policy = getattr(local, "task_policy", None)
    mode = raw_option("cluster_policy").lower()
    if _ours(local_policy):
        return _policy_mode(f"task_policy from {POLICY_MODULE} in airflow_local_settings", mode or "all")
    points = [ep for ep in entry_points(group="airflow.policy") if ep.value.startswith("airflow_errorguard")]
    impls = get_policy_plugin_manager().hook.task_policy.get_hookimpls()
    loaded = [i for i in impls if i.plugin_name == POLICY_ENTRY_POINT or _ours(i.function)]
    if points and loaded and ((mode or "off") != "off" or local_policy is None):
        return _policy_mode(
            f"task_policy from the airflow.policy entry point {points[0].name}", mode or "off"
        )
    # an inactive entry point beside a task_policy of the user's own: that one decides, say so below
    if points and not loaded:
        return Finding(
            "cluster_policy",
            WARN,
            f"the airflow.policy entry point {points[0].name} is installed but Airflow did not load it",
            "check the scheduler's log for the policy plugin's import error",
        )
    if local_policy is not None:
        return Finding(
            "cluster_policy",
            WARN,
            f"airflow_local_settings has a task_policy of its own ({local_policy.__module__}); errorguard "
            "is attached only to DAGs that use it explicitly, unless that policy calls "
            f"{POLICY_MODULE}.task_policy",
            f"call {POLICY_MODULE}.task_policy(task) from your task_policy to attach errorguard everywhere",
        )
    return Finding(
        "cluster_policy",
        WARN,
        "no errorguard cluster policy: errorguard is attached only to DAGs that use it explicitly",
        f"to attach it to every task, {POLICY_INSTALL}",
    )
