"""ErrorGuardCallback on real storage with a fake clock: when it alerts, dedup, resolve, robustness."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from airflow_errorguard.alerts.callback import ErrorGuardCallback
from airflow_errorguard.alerts.config import AlertConfig
from airflow_errorguard.exceptions import CircuitOpenError, ErrorGuardConfigError
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.incidents import IncidentRepository
from airflow_errorguard.storage.tables import error_event_table as e
from tests.alerts.helpers import FakeTI, Recorder, context
from tests.storage.helpers import FakeClock

pytestmark = pytest.mark.airflow
CONN = "eg_alert_test"


class Mystery(Exception):
    """Unknown to every rule."""


@pytest.fixture
def make(db: Database, clock: FakeClock, storage_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN.upper()}", storage_url)

    def build(*notifiers: Any, **config: Any) -> ErrorGuardCallback:
        return ErrorGuardCallback(
            notifiers=notifiers, errorguard_conn_id=CONN, config=AlertConfig(**config), clock=clock
        )

    return build


def events(db: Database) -> list[tuple[str, int, str, str | None, str | None]]:
    stmt = select(e.c.task_id, e.c.try_number, e.c.error_category, e.c.decision, e.c.outcome).order_by(e.c.id)
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(stmt)]  # type: ignore[misc]


def test_five_final_failures_alert_once_and_another_fingerprint_alerts_again(
    make: Any, db: Database, clock: FakeClock
) -> None:
    rec = Recorder()
    cb = make(rec)
    for run in range(5):
        cb(context(FakeTI("etl", "load", f"run{run}"), PermissionError("permission denied for table orders")))
        clock.advance(minutes=1)
    assert rec.kinds == ["alert"]
    alert = rec.alerts[0]
    assert alert["category"] == "configuration" and alert["dedup_key"].startswith("errorguard-")
    assert "permission denied" in alert["text"] and "What to do:" in alert["text"]
    assert alert["occurrences_in_window"] == 1 and alert["why_alert"].startswith("the task failed for good")
    cb(context(FakeTI("etl", "load", "run6"), ValueError("bad row 17")))
    assert rec.kinds == ["alert", "alert"] and rec.alerts[1]["category"] == "data"
    incident = IncidentRepository(db).get(rec.alerts[0]["incident_key"])
    assert incident is not None and (incident.occurrences, incident.suppressed_count) == (5, 4)
    assert len(events(db)) == 6


def test_reminder_after_the_repeat_interval_carries_the_count(make: Any, clock: FakeClock) -> None:
    rec = Recorder()
    cb = make(rec, repeat_interval=timedelta(minutes=30))
    for run in range(4):
        cb.on_failure(context(FakeTI("etl", "load", f"r{run}"), PermissionError("permission denied")))
        clock.advance(minutes=12)
    assert rec.kinds == ["alert", "reminder"]
    assert (
        rec.alerts[1]["since_last"] == 3
        and "3 occurrence(s) since the last notification" in rec.alerts[1]["text"]
    )


def test_transient_retry_does_not_alert_and_success_resolves(make: Any, db: Database) -> None:
    rec = Recorder()
    cb = make(rec)
    ti = FakeTI("etl", "fetch", "r1", try_number=1, max_tries=3, state="up_for_retry")
    cb(context(ti, TimeoutError("read timed out")))
    assert rec.kinds == []
    # A configuration error on a retry alerts at once: retrying cannot fix it.
    cb(context(FakeTI("etl", "creds", "r1", max_tries=3, state="up_for_retry"), PermissionError("denied")))
    assert rec.kinds == ["alert"] and "cannot be fixed by retrying" in rec.alerts[0]["why_alert"]
    ti_ok = FakeTI("etl", "creds", "r1", try_number=2, max_tries=3, state="success")
    cb(context(ti_ok))
    assert (
        rec.kinds == ["alert", "resolved"] and rec.alerts[1]["incident_key"] == rec.alerts[0]["incident_key"]
    )
    cb(context(ti_ok))  # a second success finds nothing open: no second notice
    assert rec.kinds == ["alert", "resolved"]
    ti.try_number, ti.state = 2, "success"
    cb(context(ti))
    assert events(db) == [
        ("fetch", 1, "transient", "retry", "success"),
        ("creds", 1, "configuration", "retry", "success"),
    ]


def test_open_circuit_folds_failures_into_its_incident(make: Any, clock: FakeClock) -> None:
    rec = Recorder()
    cb = make(rec)
    probe = clock.now + timedelta(minutes=1)
    for task in ("a", "b", "c"):
        error = RuntimeError("wrapped")
        error.__cause__ = CircuitOpenError("partner-api", "open", probe)
        cb(context(FakeTI("etl", task, "r1", max_tries=2, state="up_for_retry"), error))
    assert rec.kinds == ["alert"]
    alert = rec.alerts[0]
    assert alert["incident_key"] == "circuit=partner-api"
    assert alert["circuit"] == {"name": "partner-api", "state": "open", "next_probe_at": probe.isoformat()}
    assert "Circuit partner-api: open, next probe" in alert["text"]


def test_a_failing_notifier_does_not_stop_the_others(make: Any) -> None:
    def broken(_context: Any) -> None:
        raise ConnectionRefusedError("smtp down")

    rec = Recorder()
    make(broken, rec)(context(FakeTI("etl", "load", "r1"), PermissionError("denied")))
    assert rec.kinds == ["alert"]


def test_learned_decision_flips_an_unknown_error_after_enough_history(make: Any, clock: FakeClock) -> None:
    rec = Recorder()
    cb = make(rec, learning_min_samples=5, repeat_interval=timedelta(0))
    # Task instances fail for good with the same unknown error: each is a finished occurrence.
    for run in range(4):
        cb(context(FakeTI("etl", "odd", f"h{run}"), Mystery("weird thing 42")))
        clock.advance(minutes=1)
    retry = FakeTI("etl", "odd", "now", try_number=1, max_tries=3, state="up_for_retry")
    cb(context(retry, Mystery("weird thing 43")))
    assert len(rec.alerts) == 4  # the retry: 4 samples < 5, no opinion, Airflow's retries go on
    clock.advance(minutes=1)
    cb(context(FakeTI("etl", "odd", "h4"), Mystery("weird thing 44")))
    clock.advance(minutes=1)
    retry.try_number = 2
    cb(context(retry, Mystery("weird thing 45")))
    assert len(rec.alerts) == 6
    assert rec.alerts[-1]["learned"] == "learned from 5 past occurrences: 0 succeeded on retry"
    assert "retrying has not helped before" in rec.alerts[-1]["why_alert"]


def test_learned_retry_when_history_says_retries_help(make: Any, clock: FakeClock) -> None:
    rec = Recorder()
    cb = make(rec, learning_min_samples=3)
    for run in range(3):  # each fails once, then a retry succeeds
        ti = FakeTI("etl", "odd", f"h{run}", max_tries=2, state="up_for_retry")
        cb(context(ti, Mystery("flaky 1")))
        ti.try_number, ti.state = 2, "success"
        cb(context(ti))
        clock.advance(minutes=1)
    cb(context(FakeTI("etl", "odd", "now", max_tries=2, state="up_for_retry"), Mystery("flaky 2")))
    assert rec.kinds == []  # history: 3 of 3 succeeded on retry -> keep retrying quietly


def test_errorguard_failures_never_raise(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_EG_ALERT_DOWN", "postgresql://eg:pw@127.0.0.1:1/x?connect_timeout=1")
    rec = Recorder()
    cb = ErrorGuardCallback(notifiers=[rec], errorguard_conn_id="eg_alert_down", clock=clock)
    cb(context(FakeTI("etl", "load", "r1"), PermissionError("denied")))
    cb(context(FakeTI("etl", "load", "r1", state="success")))
    cb({"no": "ti"})
    assert rec.kinds == []


def test_bad_configuration_fails_at_parse_time(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ErrorGuardConfigError, match="group_by"):
        AlertConfig(group_by=("dag", "colour"))
    with pytest.raises(ErrorGuardConfigError, match="group_wait"):
        AlertConfig(group_wait=timedelta(hours=1))
    with pytest.raises(ErrorGuardConfigError, match="not callable"):
        ErrorGuardCallback(notifiers=["ops@example.com"])  # type: ignore[list-item]
    monkeypatch.setenv("AIRFLOW__ERRORGUARD__ALERT_GROUP_BY", "dag,colour")
    with pytest.raises(ErrorGuardConfigError, match=r"\[errorguard\] alert_group_by"):
        ErrorGuardCallback()


def test_the_callbacks_circuit_is_read_from_the_breaker_table(
    make: Any, db: Database, clock: FakeClock
) -> None:
    from airflow_errorguard.storage.tables import circuit_table

    probe = clock.now + timedelta(seconds=90)
    zeros = dict.fromkeys(
        ("consecutive_failures", "trip_count", "half_open_admitted", "half_open_successes", "version"), 0
    )
    totals = dict.fromkeys(("total_calls", "total_failures", "total_rejected"), 0)
    with db.engine.begin() as conn:
        conn.execute(
            circuit_table.insert().values(
                name="warehouse",
                state="open",
                next_probe_at=probe,
                created_at=clock.now,
                updated_at=clock.now,
                **zeros,
                **totals,
            )
        )
    rec = Recorder()
    cb = ErrorGuardCallback(
        notifiers=[rec], errorguard_conn_id=CONN, config=AlertConfig(), circuit="warehouse", clock=clock
    )
    for task in ("a", "b"):  # transient retries: normally silent, but the circuit is open
        cb(context(FakeTI("etl", task, "r1", max_tries=3, state="up_for_retry"), TimeoutError("timed out")))
    assert rec.kinds == ["alert"]
    assert rec.alerts[0]["incident_key"] == "circuit=warehouse"
    assert rec.alerts[0]["circuit"]["state"] == "open"


@pytest.mark.airflow33
def test_learning_retry_policy_flips_unknown_decisions(make: Any, clock: FakeClock) -> None:
    from airflow_errorguard.compat import RetryAction
    from airflow_errorguard.retry.learned_policy import LearningRetryPolicy

    cb = make(learning_min_samples=3)
    policy = LearningRetryPolicy(errorguard_conn_id=CONN, min_samples=3, clock=clock)
    verdict = policy.classifier.classify(Mystery("weird thing 1"))
    assert policy.decide(verdict, 1, 3).action is RetryAction.DEFAULT  # no history yet
    for run in range(3):  # three task instances failed for good
        cb(context(FakeTI("etl", "odd", f"h{run}"), Mystery(f"weird thing {run}")))
        clock.advance(minutes=1)
    failed = policy.decide(verdict, 1, 3)
    assert failed.action is RetryAction.FAIL
    assert "learned from 3 past occurrences: 0 succeeded on retry" in (failed.reason or "")
    for run in range(4):  # then four that a retry fixed
        ti = FakeTI("etl", "odd", f"g{run}", max_tries=2, state="up_for_retry")
        cb(context(ti, Mystery("weird thing 9")))
        ti.try_number, ti.state = 2, "success"
        cb(context(ti))
        clock.advance(minutes=1)
    retried = policy.decide(verdict, 1, 3)
    assert retried.action is RetryAction.RETRY and "4 succeeded on retry" in (retried.reason or "")
    # Classified errors keep the base policy's decisions.
    assert policy.decide(policy.classifier.classify(ValueError("bad")), 1, 3).action is RetryAction.FAIL


def test_group_wait_sends_one_alert_for_the_burst(
    db: Database, clock: FakeClock, storage_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN.upper()}", storage_url)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the fake clock moves instead of the test waiting
        slept.append(seconds)
        clock.advance(seconds=seconds)

    rec = Recorder()
    cb = ErrorGuardCallback(
        notifiers=[rec],
        errorguard_conn_id=CONN,
        config=AlertConfig(group_wait=timedelta(seconds=30)),
        clock=clock,
        sleep=sleep,
    )
    cb(context(FakeTI("etl", "load", "r1"), PermissionError("denied")))
    assert slept == [30.0] and rec.kinds == ["alert"]
    cb(context(FakeTI("etl", "load", "r2"), PermissionError("denied")))  # incident already notified
    assert slept == [30.0] and rec.kinds == ["alert"]
