"""
``errorguard doctor``'s storage checks: the connection task processes use, errorguard's tables
and their migration head, circuits left in a state set by hand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from airflow_errorguard.manage.doctor import FAIL, OK, SKIP, WARN, Finding

if TYPE_CHECKING:
    from airflow_errorguard.manage.doctor import DoctorTarget

#: States only a person sets (``errorguard circuits open|disable``); they never end by themselves.
FORCED_STATES = ("forced_open", "disabled")


def check_connection(conn_id: str) -> Finding:
    """
    Task processes reach errorguard's tables only through the connection (Airflow 3 blocks the
    metadata database there): ``$AIRFLOW_CONN_<ID>``, a secrets backend or a stored connection.
    """
    from airflow_errorguard.hooks import connection_url

    env = f"AIRFLOW_CONN_{conn_id.upper()}"
    fix_define = (
        f"define it for every worker and the triggerer, e.g. export {env}='postgresql://user:password@"
        f"host:5432/airflow' (the metadata database works), or `airflow connections add {conn_id} "
        "--conn-uri ...`"
    )
    if os.environ.get(env, "").strip():
        conn = connection_url.connection_from_env(conn_id)
        try:
            url = (
                connection_url.sqlalchemy_url(conn) if conn is not None else _airflow_connection_url(conn_id)
            )
        except Exception as err:
            return Finding("connection", FAIL, f"${env} cannot be used: {err}", fix_define)
        return Finding(
            "connection",
            OK,
            f"${env} -> {url.render_as_string(hide_password=True)}; task processes see it when the same "
            "variable is set in the workers' and the triggerer's environment",
        )
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook

    hook = ErrorGuardHook(errorguard_conn_id=conn_id)
    try:
        source, url = hook.source, hook.sqlalchemy_url
    except Exception as err:
        return Finding("connection", FAIL, f"connection {conn_id!r} cannot be resolved: {err}", fix_define)
    shown = url.render_as_string(hide_password=True)
    if source == "metadata":
        return Finding(
            "connection",
            FAIL,
            f"connection {conn_id!r} is not defined: this process falls back to Airflow's metadata "
            f"database ({shown}), but task processes cannot (Airflow 3 blocks it there), so guarded "
            "tasks, callbacks and the listener in workers cannot record anything",
            fix_define,
        )
    return Finding(
        "connection",
        OK,
        f"connection {conn_id!r} (secrets backend or stored connection) -> {shown}; task processes read "
        "it through Airflow's API server",
    )


def _airflow_connection_url(conn_id: str) -> URL:
    """A ``$AIRFLOW_CONN_*`` value only Airflow's parser reads, parsed by Airflow."""
    from airflow.models.connection import Connection

    from airflow_errorguard.hooks import connection_url

    value = os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"].strip()
    conn = Connection.from_json(value, conn_id) if value.startswith("{") else Connection(conn_id, uri=value)
    return connection_url.sqlalchemy_url(conn)


@dataclass(frozen=True)
class Reached:
    """errorguard's storage as the doctor found it: the storage, or why it cannot be opened."""

    storage: Any | None
    where: str
    error: str = ""


def reach(target: DoctorTarget) -> Reached:
    """Open the target's storage (no connection made yet); the error when that fails."""
    try:
        storage = target.open_storage()
    except Exception as err:
        return Reached(None, "", str(err))
    try:
        return Reached(storage, target.describe(storage))
    except Exception as err:
        return Reached(None, "", str(err))


def _metadata_url() -> str | None:
    from airflow_errorguard.hooks.runtime import metadata_db_url

    return metadata_db_url()


def _same_database(a: URL, b: URL) -> bool:
    def key(url: URL) -> tuple[Any, ...]:
        database = url.database or ""
        if url.get_backend_name() == "sqlite" and database and not database.startswith("file:"):
            database = str(Path(database).resolve())
        return (url.get_backend_name(), url.host, url.port, database)

    return key(a) == key(b)


def storage_url(reached: Reached) -> URL | None:
    storage = reached.storage
    if storage is None:
        return None
    from airflow_errorguard.hooks.errorguard import ErrorGuardHook

    return make_url(storage.sqlalchemy_url if isinstance(storage, ErrorGuardHook) else storage.url)


def in_metadata_db(reached: Reached) -> bool | None:
    """Whether errorguard's tables are looked for in Airflow's metadata database (``None``: unknown)."""
    url, metadata = storage_url(reached), _metadata_url()
    if url is None or not metadata:
        return None
    return _same_database(url, make_url(metadata))


def check_tables(reached: Reached, target: DoctorTarget) -> Finding:
    """errorguard's tables exist where the CLI and the tasks look, at this release's migration head."""
    from airflow_errorguard.storage import migrate
    from airflow_errorguard.storage.tables import errorguard_metadata

    upgrade = "`airflow db migrate`" if in_metadata_db(reached) else f"`{target.upgrade_command}`"
    if reached.storage is None:
        return Finding(
            "tables",
            FAIL,
            f"errorguard's database cannot be opened: {reached.error}",
            f"run `airflow db migrate` (tables in the metadata database) or `{target.upgrade_command}`",
        )
    head = migrate.head_revision()
    with reached.storage.database.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        revision = migrate.current_revision(conn) if migrate.VERSION_TABLE in present else None
    missing = sorted(t for t in errorguard_metadata.tables if t not in present)
    where = reached.where
    if revision is None:
        return Finding("tables", FAIL, f"errorguard's tables are not in {where}", f"run {upgrade}")
    if revision != head:
        if revision in _known_revisions():
            return Finding(
                "tables",
                FAIL,
                f"errorguard's tables in {where} are at revision {revision}; this release needs {head}",
                f"run {upgrade}",
            )
        return Finding(
            "tables",
            FAIL,
            f"errorguard's tables in {where} are at revision {revision}, which this release does not "
            f"know (head {head}): a newer airflow-errorguard migrated them",
            "install the airflow-errorguard release that migrated the database on this machine",
        )
    if missing:
        return Finding(
            "tables",
            FAIL,
            f"{where} is at head {head} but lacks {', '.join(missing)} (dropped by hand?)",
            "restore them from a backup, or drop errorguard's tables and alembic_version_errorguard "
            f"(losing errorguard's data) and run {upgrade}",
        )
    return Finding(
        "tables", OK, f"{len(present & set(errorguard_metadata.tables))} tables in {where}, at {head}"
    )


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from airflow_errorguard.storage import migrate

    return {s.revision for s in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()}


def check_circuits(reached: Reached) -> Finding:
    """Circuits forced open or disabled by hand (they stay so until someone resets them)."""
    storage: Any = reached.storage
    with storage.database.engine.connect() as conn:
        if not inspect(conn).has_table("errorguard_circuit"):
            return Finding("circuits", SKIP, "not checked: errorguard's circuit table is not there")
    circuits = storage.circuits
    forced = []
    names = circuits.names()
    for name in names:
        snap = circuits.load(name)
        if snap is not None and snap.state.value in FORCED_STATES:
            forced.append((name, snap.state.value))
    if not forced:
        return Finding("circuits", OK, f"{len(names)} circuit(s), none forced open or disabled")
    listed = ", ".join(f"{name} ({state})" for name, state in forced)
    return Finding(
        "circuits",
        WARN,
        f"set by hand and never ending by themselves: {listed} -- forced_open rejects every call, "
        "disabled lets every call through and never trips",
        "when the reason is over: " + "; ".join(f"errorguard circuits reset {name}" for name, _ in forced),
    )
