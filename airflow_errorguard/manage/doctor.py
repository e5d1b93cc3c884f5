"""
``errorguard doctor``: will errorguard work here? Each check returns a :class:`Finding`.

The checks read configuration, Airflow's registries and errorguard's tables; none writes
anything or creates a database. :func:`diagnose` runs them in order; a check whose prerequisite
failed (Airflow does not start, the tables cannot be reached) is reported as ``SKIP``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from airflow_errorguard.config_options import SECTION
from airflow_errorguard.exceptions import ErrorGuardConfigError

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
STATUSES = (OK, WARN, FAIL, SKIP)


@dataclass(frozen=True)
class Finding:
    """
    The result of one check.

    :param check: The check's stable name (``tables``, ``options``...).
    :param status: ``OK``, ``WARN``, ``FAIL`` or ``SKIP`` (a prerequisite failed).
    :param summary: What was found and what it means.
    :param fix: The exact fix (empty when there is nothing to do).
    """

    check: str
    status: str
    summary: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class DoctorTarget:
    """
    Where errorguard's tables are, as the caller resolved it (the CLI: ``--url``, ``--conn-id``).

    :param conn_id: The connection task processes use (``errorguard_default``).
    :param open_storage: Returns errorguard's storage (repositories); raises when it cannot be
        reached -- never creates a database.
    :param describe: *storage* -> its URL (password hidden) and where it came from, for messages.
    :param upgrade_command: The command that creates the tables where they are looked for when they
        are not in Airflow's metadata database.
    """

    conn_id: str
    open_storage: Callable[[], Any]
    describe: Callable[[Any], str]
    upgrade_command: str = "errorguard db upgrade"


def _conf() -> Any:
    from airflow.configuration import conf

    return conf


def raw_option(name: str, section: str = SECTION) -> str:
    """The text of ``[section] name`` as Airflow's configuration holds it (``""`` when unset)."""
    return str(_conf().get(section, name, fallback="") or "").strip()


def check_airflow() -> Finding:
    """Airflow starts, and which errorguard features its version has."""
    try:
        import airflow.settings  # noqa: F401 - runs Airflow's start-up (local settings, policies)
    except Exception as err:
        return Finding(
            "airflow",
            FAIL,
            f"Airflow does not start in this environment: {type(err).__name__}: {err}",
            "fix the error above (often airflow_local_settings.py or [core]/[database] settings); "
            "`airflow info` shows the same failure",
        )
    from airflow_errorguard import compat

    version = compat.AIRFLOW_VERSION
    if version.major < 3 or (version.major == 3 and version.minor < 1):
        return Finding(
            "airflow", FAIL, f"Airflow {version}: errorguard needs Airflow 3.1 or newer", "upgrade Airflow"
        )
    if compat.HAS_NATIVE_RETRY_POLICY:
        return Finding("airflow", OK, f"Airflow {version}: every errorguard feature is available")
    return Finding(
        "airflow",
        WARN,
        f"Airflow {version}: the native retry_policy (ErrorGuardRetryPolicy) needs Airflow 3.3 and "
        "raises at DAG parse time here; guarded processing, @task.guarded, callbacks, circuits, the "
        "listener, the UI and the CLI work, and configuration/data errors still fail without retry",
        "upgrade to Airflow 3.3 for retry_policy, or use ErrorGuardCallback / guarded processing",
    )


@contextmanager
def _hash_key_stand_in() -> Iterator[None]:
    """Validate the other options as if ``hash_key`` were set (that one has its own check)."""
    name = f"AIRFLOW__{SECTION.upper()}__HASH_KEY"
    before = os.environ.get(name)
    os.environ[name] = "doctor-stand-in"
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def hash_key_missing() -> bool:
    """``hash_fields`` is set and ``hash_key`` is not."""
    return bool(raw_option("hash_fields").strip(", ")) and not raw_option("hash_key")


def check_options() -> Finding:
    """Every ``[errorguard]`` option parses and passes validation (as workers will read it)."""
    from airflow_errorguard.settings import read_settings

    try:
        if hash_key_missing():
            with _hash_key_stand_in():
                read_settings()
        else:
            read_settings()
    except ErrorGuardConfigError as err:
        return Finding(
            "options",
            FAIL,
            f"{err} -- every DAG using errorguard fails to parse with this message",
            f"correct the option in airflow.cfg or its AIRFLOW__{SECTION.upper()}__<OPTION> variable "
            "(`airflow config list --section errorguard` shows the values in effect)",
        )
    return Finding("options", OK, f"[{SECTION}] options are valid")


def check_hash_key() -> Finding:
    """``hash_fields`` without ``hash_key`` would hash guessable values with an empty key."""
    fields = raw_option("hash_fields")
    if not fields.strip(", "):
        return Finding("hash_key", OK, "hash_fields is not set (no payload field is hashed)")
    if raw_option("hash_key"):
        return Finding("hash_key", OK, f"hash_fields ({fields}) are hashed with the configured hash_key")
    return Finding(
        "hash_key",
        FAIL,
        f"hash_fields ({fields}) is set without hash_key: an unkeyed hash of a guessable value (an "
        "e-mail address) is reversed by hashing candidates, so errorguard refuses it at DAG parse time",
        f"set AIRFLOW__{SECTION.upper()}__HASH_KEY (or [{SECTION}] hash_key, e.g. through a secrets "
        "backend) to a long random secret on every Airflow process",
    )


def check_rules_file() -> Finding:
    """The configured rules file exists and its ``rules`` and ``circuits`` sections are valid."""
    from airflow_errorguard.circuits.rules_file import circuits_from_document
    from airflow_errorguard.classification.rules_file import read_document, rules_from_document

    path = raw_option("rules_file")
    if not path:
        return Finding("rules_file", OK, "no rules file configured (built-in knowledge only)")
    from pathlib import Path

    try:
        document = read_document(Path(path))
        rules = rules_from_document(document, path)
        circuits = circuits_from_document(document, path)
    except ErrorGuardConfigError as err:
        return Finding(
            "rules_file",
            FAIL,
            f"{err} -- every DAG using errorguard fails to parse with this message",
            f"fix the file, or point [{SECTION}] rules_file at a valid one (the same path on every "
            "worker, scheduler and DAG processor)",
        )
    return Finding("rules_file", OK, f"{path}: {len(rules)} rule(s), {len(circuits)} circuit override(s)")


def _skipped(name: str, why: str) -> Finding:
    return Finding(name, SKIP, f"not checked: {why}")


def diagnose(target: DoctorTarget) -> list[Finding]:
    """Run every check, in order; unexpected errors of a check become its ``FAIL``."""
    from airflow_errorguard.manage import doctor_airflow as af
    from airflow_errorguard.manage import doctor_storage as st

    airflow = _safe("airflow", check_airflow)
    findings = [airflow]
    names: tuple[str, ...] = ("options", "hash_key", "rules_file", "connection", "tables", "db_manager")
    names += ("async_driver", "plugin", "listener", "cluster_policy", "circuits")
    if airflow.status == FAIL:  # only the async driver can be checked without Airflow (and may be why)
        return findings + [
            _safe(n, af.check_async_driver) if n == "async_driver" else _skipped(n, "Airflow does not start")
            for n in names
        ]
    findings += [
        _safe("options", check_options),
        _safe("hash_key", check_hash_key),
        _safe("rules_file", check_rules_file),
        _safe("connection", lambda: st.check_connection(target.conn_id)),
    ]
    reached = st.reach(target)
    findings += [
        _safe("tables", lambda: st.check_tables(reached, target)),
        _safe("db_manager", lambda: af.check_db_manager(st.in_metadata_db(reached))),
        _safe("async_driver", af.check_async_driver),
        _safe("plugin", af.check_plugin),
        _safe("listener", af.check_listener),
        _safe("cluster_policy", af.check_cluster_policy),
    ]
    if reached.storage is None:
        findings.append(_skipped("circuits", "errorguard's database cannot be opened"))
    else:
        findings.append(_safe("circuits", lambda: st.check_circuits(reached)))
    return findings


def _safe(name: str, check: Callable[[], Finding]) -> Finding:
    try:
        return check()
    except Exception as err:
        return Finding(
            name,
            FAIL,
            f"the check failed: {type(err).__name__}: {err}",
            "fix the error above; run with the same environment as the failing process",
        )


def failed(findings: list[Finding]) -> bool:
    """Whether any finding is a ``FAIL``."""
    return any(f.status == FAIL for f in findings)
