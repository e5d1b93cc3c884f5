"""
Under a REAL scheduler: an API answers record 25 with 429 + ``Retry-After: 40``. The guarded task
does not sleep in its worker slot: it commits records 0-24, is rescheduled 40 s later (no retry
used) and resumes at record 25 from the checkpoint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Lock, Thread

import pytest

from tests.harness import AirflowEnv, RealAirflow

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG_FILE = Path(__file__).parent / "dags" / "eg_guarded_long_wait.py"
DAG_ID = "eg_guarded_long_wait"


class _Api(BaseHTTPRequestHandler):
    calls: Counter[int] = Counter()
    lock = Lock()

    def do_GET(self) -> None:
        record = int(self.path.rsplit("/", 1)[-1])
        with self.lock:
            self.calls[record] += 1
            first = self.calls[record] == 1
        limited = record == 25 and first
        self.send_response(429 if limited else 200)
        if limited:
            self.send_header("Retry-After", "40")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    _Api.calls = Counter()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_long_retry_after_reschedules_instead_of_sleeping(
    airflow_db: AirflowEnv, api: str, tmp_path: Path
) -> None:
    airflow_db.add_dag_file(DAG_FILE, DAG_FILE.name)
    extra = {
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": airflow_db.sql_alchemy_conn,
        "EG_GUARD_OUT": str(tmp_path),
        "EG_RATE_LIMITED_API": api,
    }
    with RealAirflow(airflow_db, extra_env=extra) as af:
        run_id = af.trigger(DAG_ID)
        assert af.wait_for_run(DAG_ID, run_id, timeout=420) == "success"
        ti = af.task_instances(DAG_ID, run_id)["guarded"]
        assert (ti["state"], ti["try_number"]) == ("success", 1), "no Airflow retry used"

    reschedules = airflow_db.query(
        "SELECT tr.start_date, tr.reschedule_date FROM task_reschedule tr "
        "JOIN task_instance ti ON ti.id = tr.ti_id WHERE ti.dag_id = :dag AND ti.run_id = :run",
        dag=DAG_ID,
        run=run_id,
    )
    assert len(reschedules) == 1, reschedules
    assert Counter(int(line) for line in (tmp_path / "sink.txt").read_text().split()) == dict.fromkeys(
        range(40), 1
    )
    assert {r: n for r, n in _Api.calls.items() if n != 1} == {25: 2}, "only record 25 was called twice"
    checkpoint = airflow_db.query(
        "SELECT position FROM errorguard_checkpoint WHERE dag_id = :dag AND run_id = :run",
        dag=DAG_ID,
        run=run_id,
    )
    assert [c["position"] for c in checkpoint] == ["40"]
    log = "".join(p.read_text() for p in airflow_db.logs_folder.rglob("attempt=1*.log") if DAG_ID in str(p))
    assert "asked to wait 40s" in log and "rescheduling the task" in log
