"""Run ``dag.test()`` for one DAG of one file and print one JSON line describing the run.

Usage (with the Airflow home's environment, see ``AirflowEnv.dag_test``)::

    python run_dag_test.py /abs/path/to/dag_file.py DAG_ID

The DAG file must end up under ``[core] dags_folder``: ``dag.test()`` syncs the DAG bundle to
the metadata DB and fails with "dag is not serialized" otherwise, so a file outside it is copied
in first.  The last line on stdout is a JSON object with ``"kind": "errorguard.dag_test.result"``.
``$EG_DAG_TEST_CONF`` (JSON), when set, is the run's conf; ``$EG_DAG_TEST_RESULT_FILE``, when
set, also receives the JSON line (stdout is shared with log handlers that may write mid-line).
Exit status: 0 when ``dag.test()`` ran (whatever the run's state), 2 when the DAG did not load.
Standalone on purpose (imports only the standard library and Airflow).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

RESULT_KIND = "errorguard.dag_test.result"


def _state(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _collect(dag_id: str, run_id: str) -> tuple[str | None, dict[str, dict[str, Any]]]:
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run_state = session.scalar(
            select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
        )
        tis = session.scalars(
            select(TaskInstance)
            .where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
            .order_by(TaskInstance.task_id, TaskInstance.map_index)
        ).all()
        history = session.scalars(
            select(TaskInstanceHistory)
            .where(TaskInstanceHistory.dag_id == dag_id, TaskInstanceHistory.run_id == run_id)
            .order_by(TaskInstanceHistory.try_number)
        ).all()

        def _try(row: Any) -> dict[str, Any]:
            return {
                "try_number": row.try_number,
                "state": _state(row.state),
                # Columns of the native retry policy (AIP-105): None before Airflow 3.3.
                "retry_delay_override": getattr(row, "retry_delay_override", None),
                "retry_reason": getattr(row, "retry_reason", None),
            }

        result: dict[str, dict[str, Any]] = {}
        for ti in tis:
            tries = [
                _try(h)
                for h in history
                if h.task_id == ti.task_id and h.map_index == ti.map_index and h.try_number != ti.try_number
            ]
            if ti.try_number:  # try 0: the task never started
                tries.append(_try(ti))
            key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            result[key] = {
                "task_id": ti.task_id,
                "map_index": ti.map_index,
                "state": _state(ti.state),
                "try_number": ti.try_number,
                "max_tries": ti.max_tries,
                "tries": tries,
            }
    return _state(run_state), result


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    dag_file = Path(argv[1]).resolve()
    dag_id = argv[2]

    from airflow.configuration import conf

    dags_folder = Path(conf.get("core", "dags_folder")).resolve()
    if not dag_file.is_relative_to(dags_folder):
        target = dags_folder / dag_file.name
        shutil.copyfile(dag_file, target)
        dag_file = target

    from airflow_errorguard.compat import AIRFLOW_V_3_2_PLUS

    if AIRFLOW_V_3_2_PLUS:
        from airflow.dag_processing.dagbag import BundleDagBag

        bag = BundleDagBag(dag_folder=dag_file, bundle_path=dags_folder, bundle_name="dags-folder")
    else:  # Airflow 3.1: BundleDagBag lives in airflow.models and takes no bundle_name
        from airflow.models.dagbag import BundleDagBag as BundleDagBag31  # type: ignore[attr-defined]

        bag = BundleDagBag31(dag_folder=dag_file, bundle_path=dags_folder)
    dag = bag.dags.get(dag_id)
    if dag is None:
        print(
            f"DAG {dag_id!r} not found in {dag_file}; found {sorted(bag.dags)}; "
            f"import errors: {json.dumps(bag.import_errors, indent=2)}",
            file=sys.stderr,
        )
        return 2

    started = time.monotonic()
    run_conf = json.loads(os.environ.get("EG_DAG_TEST_CONF") or "null")
    dag_run = dag.test(run_conf=run_conf)
    duration = time.monotonic() - started
    run_state, task_instances = _collect(dag_id, dag_run.run_id)
    payload = {
        "kind": RESULT_KIND,
        "dag_id": dag_id,
        "run_id": dag_run.run_id,
        "state": run_state,
        "duration_s": round(duration, 3),
        "task_instances": task_instances,
    }
    line = json.dumps(payload, sort_keys=True)
    result_file = os.environ.get("EG_DAG_TEST_RESULT_FILE")
    if result_file:  # log lines of other threads/processes cannot interleave with it there
        Path(result_file).write_text(line + "\n", encoding="utf-8")
    sys.stdout.flush()
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
