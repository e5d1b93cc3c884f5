"""
Chaos under a REAL scheduler: 10,000 records, 20 % transient faults, 2 % bad records, the task
process SIGKILLed at three seeded random records, and errorguard's PostgreSQL database unreachable
for a few seconds mid-run (through a loopback proxy) -> every good record in the sink exactly
once, every bad one in quarantine exactly once, and the original exceptions in the task's logs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from airflow_errorguard.storage.engine import dispose_engines
from airflow_errorguard.storage.migrate import upgrade
from tests.harness import AirflowEnv, RealAirflow
from tests.harness import postgres as pg
from tests.harness.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.airflow, pytest.mark.postgres, pytest.mark.slow]

DAG_FILE = Path(__file__).parent / "dags" / "eg_guarded_chaos.py"
DAG_ID = "eg_guarded_chaos"
RECORDS = 10_000
OUTAGE_SECONDS = 4.0


def _watch_for_outage(proxy: TcpProxy, out: Path, stop: threading.Event) -> None:
    while not stop.is_set():
        if (out / "outage-requested").exists():
            proxy.outage(OUTAGE_SECONDS, on_down=(out / "outage-started").touch)
            return
        time.sleep(0.05)


@pytest.fixture
def chaos_db() -> Iterator[sa.Engine]:
    """A fresh PostgreSQL database with errorguard's tables and the sink table; dropped after."""
    server = pg.admin_url()
    try:
        name = pg.create_database(server, prefix="errorguard_chaos_")
    except (psycopg2.Error, OSError) as exc:
        pg.unreachable(exc, server)
    direct = pg.airflow_url(server, name)
    engine = sa.create_engine(direct)
    try:
        upgrade(direct)
        with engine.begin() as db:
            db.execute(sa.text("CREATE TABLE eg_chaos_sink (id INTEGER NOT NULL, amount_cents INTEGER)"))
        yield engine
    finally:
        engine.dispose()
        dispose_engines()
        pg.drop_database(server, name)


def test_chaos_every_record_exactly_once(
    airflow_db: AirflowEnv, chaos_db: sa.Engine, tmp_path: Path, e2e_figures: list[str]
) -> None:
    airflow_db.add_dag_file(DAG_FILE, DAG_FILE.name)
    started = time.monotonic()
    with TcpProxy((chaos_db.url.host or "127.0.0.1", chaos_db.url.port or 5432)) as proxy:
        proxied = chaos_db.url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        extra = {"AIRFLOW_CONN_ERRORGUARD_DEFAULT": proxied, "EG_GUARD_OUT": str(tmp_path)}
        stop = threading.Event()
        watcher = threading.Thread(target=_watch_for_outage, args=(proxy, tmp_path, stop), daemon=True)
        watcher.start()
        try:
            with RealAirflow(airflow_db, extra_env=extra) as af:
                run_id = af.trigger(DAG_ID)
                assert af.wait_for_run(DAG_ID, run_id, timeout=900) == "success"
                tries = af.task_tries(DAG_ID, run_id, "chaos")
                logs = "\n".join(af.task_log(DAG_ID, run_id, "chaos", t["try_number"]) for t in tries)
        finally:
            stop.set()
            watcher.join(timeout=30)
    elapsed = time.monotonic() - started

    with chaos_db.connect() as db:
        sink = db.execute(sa.text("SELECT id, COUNT(*) FROM eg_chaos_sink GROUP BY id ORDER BY id")).all()
        quarantined = db.execute(
            sa.text(
                "SELECT record_key, COUNT(*) FROM errorguard_quarantine WHERE dag_id = :d GROUP BY record_key"
            ),
            {"d": DAG_ID},
        ).all()
    good = [i for i in range(RECORDS) if i % 50 != 0]
    assert [row[0] for row in sink] == good, "every good record reached the sink"
    assert {row[1] for row in sink} == {1}, "and exactly once"
    assert sorted(int(row[0]) for row in quarantined) == list(range(0, RECORDS, 50))
    assert {row[1] for row in quarantined} == {1}, "no duplicate quarantine rows"

    assert len(list(tmp_path.glob("killed-*"))) == 3, "all three SIGKILLs happened"
    assert len(proxy.outages) == 1 and (tmp_path / "outage-started").exists()
    states = [t["state"] for t in tries]
    assert states[-1] == "success" and len(tries) >= 5, states  # 3 kills + the outage + success
    assert "ErrorGuardStorageError" in logs, "the database outage failed a try, visibly"
    assert "OperationalError" in logs, "with the driver's own exception in the log"
    e2e_figures.append(
        f"chaos (real scheduler, errorguard DB on PostgreSQL): {RECORDS:,} records, 20 % transient, "
        f"2 % bad, 3 SIGKILLs, a {OUTAGE_SECONDS:.0f} s database outage -> {len(tries)} tries, "
        f"{len(sink):,} sink rows and {len(quarantined)} quarantined, 0 duplicates, {elapsed:.0f} s"
    )


REPLAY_DAG_FILE = Path(__file__).parent / "dags" / "eg_replay_chaos.py"
REPLAY_DAG_ID = "eg_replay_chaos"
RELEASED = 300


def _release_records(engine: sa.Engine) -> None:
    from airflow_errorguard.storage.database import Database
    from airflow_errorguard.storage.identity import TaskIdentity
    from airflow_errorguard.storage.quarantine import QuarantineRepository
    from airflow_errorguard.storage.quarantine_types import QuarantineItem

    repo = QuarantineRepository(Database(engine))
    repo.add(
        TaskIdentity("eg_source", "load", "manual__1"),
        [QuarantineItem(f"r{n}", {"n": n}, "data") for n in range(RELEASED)],
    )
    with engine.begin() as db:
        ids = list(db.execute(sa.text("SELECT id FROM errorguard_quarantine")).scalars())
        db.execute(sa.text("CREATE TABLE eg_replay_sink (n INTEGER NOT NULL, run_id VARCHAR(250))"))
    repo.release(ids, actor="ops")


def test_chaos_overlapping_replays_with_a_kill_move_each_record_once(
    airflow_db: AirflowEnv, chaos_db: sa.Engine, tmp_path: Path, e2e_figures: list[str]
) -> None:
    airflow_db.add_dag_file(REPLAY_DAG_FILE, REPLAY_DAG_FILE.name)
    _release_records(chaos_db)
    started = time.monotonic()
    extra = {
        "AIRFLOW_CONN_ERRORGUARD_DEFAULT": chaos_db.url.render_as_string(hide_password=False),
        "EG_GUARD_OUT": str(tmp_path),
    }
    with RealAirflow(airflow_db, extra_env=extra) as af:
        killed = af.trigger(REPLAY_DAG_ID, {"kill": True})
        calm = af.trigger(REPLAY_DAG_ID)
        assert af.wait_for_run(REPLAY_DAG_ID, killed, timeout=600) == "success"
        assert af.wait_for_run(REPLAY_DAG_ID, calm, timeout=600) == "success"
        tries = af.task_tries(REPLAY_DAG_ID, killed, "replay")
    elapsed = time.monotonic() - started

    bad = {n for n in range(RELEASED) if n % 7 == 0}
    with chaos_db.connect() as db:
        sink = db.execute(sa.text("SELECT n, COUNT(*) FROM eg_replay_sink GROUP BY n ORDER BY n")).all()
        statuses = dict(
            db.execute(sa.text("SELECT status, COUNT(*) FROM errorguard_quarantine GROUP BY status")).all()
        )
        settled = db.execute(
            sa.text(
                "SELECT entity_id, COUNT(*) FROM errorguard_audit "
                "WHERE action IN ('replay', 'requarantine') GROUP BY entity_id"
            )
        ).all()
        runs = dict(db.execute(sa.text("SELECT run_id, COUNT(*) FROM eg_replay_sink GROUP BY run_id")).all())
    assert [n for n, _ in sink] == sorted(set(range(RELEASED)) - bad), "every good record reached the sink"
    assert {c for _, c in sink} == {1}, "exactly once"
    assert statuses == {"replayed": RELEASED - len(bad), "quarantined": len(bad)}
    assert len(settled) == RELEASED and {c for _, c in settled} == {1}, "each row settled once"
    assert list(tmp_path.glob("killed-*")), "the SIGKILL happened"
    assert [t["state"] for t in tries][-1] == "success" and len(tries) >= 2
    assert set(runs) == {killed, calm}, "both runs replayed part of the records"
    assert [t["state"] for t in tries][:1] != ["success"], "the killed try did not succeed"
    e2e_figures.append(
        f"replay chaos (real scheduler, PostgreSQL): {RELEASED} released records, 2 overlapping runs, "
        f"1 SIGKILL mid-batch -> {len(sink)} sink rows, 0 duplicates, {elapsed:.0f} s"
    )
