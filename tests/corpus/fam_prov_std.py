"""Airflow's standard provider as tasks use it, raised live: ``PythonVirtualenvOperator`` and
``ExternalPythonOperator`` failing to build or find their interpreter (pip offline, no such Python),
callables failing in the subprocess, branch operators returning task ids the Dag lacks, sensors and
operators given settings that cannot work."""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import (
    BranchPythonOperator,
    ExternalPythonOperator,
    PythonOperator,
    PythonVirtualenvOperator,
)
from airflow.providers.standard.sensors.filesystem import FileSensor
from airflow.sdk import DAG

from tests.corpus.model import C, D, Family, U

NEEDS_TMP = True


def _noop() -> None:
    return None


def _fails_on_data() -> None:
    rows = {"id": 1}
    print(rows["amount"])


def _imports_missing() -> None:
    import errorguard_corpus_module_not_installed  # type: ignore[import-not-found]  # noqa: F401


def _context() -> Any:
    """What the task runner gives these operators (a task instance not in a bundle)."""
    return {"ti": SimpleNamespace(bundle_instance=None)}


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    logging.getLogger("airflow").setLevel(logging.CRITICAL)
    ids = itertools.count()

    def venv(**kw: Any) -> Callable[[], Any]:
        kw.setdefault("python_callable", _noop)
        with DAG(f"errorguard_corpus_venv_{next(ids)}", schedule=None):
            task = PythonVirtualenvOperator(task_id="isolated", **kw)
        return lambda: task.execute(_context())

    def external(python: str, call: Callable[[], Any] = _noop) -> Callable[[], Any]:
        with DAG(f"errorguard_corpus_ext_{next(ids)}", schedule=None):
            task = ExternalPythonOperator(task_id="ext", python=python, python_callable=call)
        return lambda: task.execute(_context())

    def branch(returns: Any) -> Callable[[], Any]:
        with DAG("errorguard_corpus_branch", schedule=None):
            task = BranchPythonOperator(task_id="choose", python_callable=lambda: returns)
            PythonOperator(task_id="load", python_callable=_noop)
        ti = SimpleNamespace(task=task, xcom_push=lambda *a, **k: None)
        return lambda: task.execute({"ti": ti, "task_instance": ti})

    for name, run, accept, why in (
        (
            "venv-pip-offline",
            venv(
                requirements=["errorguard-corpus-no-such-package==0.0.1"], pip_install_options=["--no-index"]
            ),
            C,
            "pip finds no distribution for the requirement (no reachable index has it): the task's setup",
        ),
        (
            "venv-bad-requirement",
            venv(requirements=["pandas>=>2"]),
            C,
            "'Invalid requirement': the task's requirements list",
        ),
        ("venv-no-python", venv(python_version="3.99"), C, "python_version 3.99 is not installed"),
        (
            "venv-callable-keyerror",
            venv(python_callable=_fails_on_data, system_site_packages=True),
            {U, D},
            "the callable's KeyError on a record, reported as the subprocess exit status",
        ),
        (
            "venv-callable-import",
            venv(python_callable=_imports_missing, system_site_packages=True),
            C,
            "the callable imports a module the venv lacks: its requirements",
        ),
        (
            "ext-python-missing",
            external("/nonexistent/errorguard/bin/python"),
            C,
            "'Python Path ... must exists'",
        ),
        ("ext-python-relative", external("python3"), C, "'must be an absolute path'"),
        ("ext-not-python", external("/bin/false"), C, "the interpreter path is not a Python"),
        (
            "ext-callable-import",
            external(sys.executable, _imports_missing),
            {C, U},
            "the callable imports a module the interpreter lacks; the error holds only the exit status",
        ),
        (
            "python-not-callable",
            lambda: PythonOperator(task_id="p", python_callable="not a function"),  # type: ignore[arg-type]
            C,
            "'`python_callable` param must be callable': the Dag's definition",
        ),
        ("branch-unknown-task", branch("no_such_task"), C, "the branch callable names a task the Dag lacks"),
        ("branch-bad-type", branch(42), C, "the branch callable returns neither a task id nor a list"),
        (
            "file-sensor-no-conn",
            lambda: FileSensor(task_id="wait", filepath="x.csv", fs_conn_id="eg_corpus_fs_missing").poke({}),
            C,
            "FileSensor's fs_conn_id is not defined",
        ),
        (
            "bash-env-not-str",
            lambda: BashOperator(task_id="b", bash_command="true", env={"N": 1}).execute({}),  # type: ignore[dict-item]
            C,
            "env values must be strings: the task's settings",
        ),
    ):
        family.add(name, run, accept, why)
