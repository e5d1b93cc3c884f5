"""
``ErrorGuardCallback``: classify a failed try, record it, and send one deduplicated alert per incident.

Use one instance for all three callbacks, directly or in ``default_args``::

    alerts = ErrorGuardCallback(notifiers=[SmtpNotifier(...), my_webhook])
    default_args = {"on_failure_callback": alerts, "on_retry_callback": alerts, "on_success_callback": alerts}

It runs in the worker after the task. Nothing it does (storage down, a notifier failing, a bug)
is raised: Airflow's callback chain and the task's own exception stay untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from airflow_errorguard import metrics
from airflow_errorguard.alerts.circuits import OPEN_STATES, circuit_from_exception, circuit_info
from airflow_errorguard.alerts.config import AlertConfig
from airflow_errorguard.alerts.content import Alert, CircuitInfo, errorguard_url, ti_url
from airflow_errorguard.alerts.decision import should_alert
from airflow_errorguard.alerts.dispatch import Notifier, dispatch
from airflow_errorguard.alerts.recording import record_failure
from airflow_errorguard.alerts.resolve import resolve_on_success
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.task_scope import classify_for_task
from airflow_errorguard.configured import build_classifier
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.retry.learning import LearnedDecision, learned_decision
from airflow_errorguard.settings import load_settings
from airflow_errorguard.storage import stats
from airflow_errorguard.storage.database import Clock, utcnow
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.incidents import Claim, Observation
from airflow_errorguard.task_context import task_ref

log = logging.getLogger(__name__)

#: Window of the "occurrences of this fingerprint" line.
OCCURRENCE_WINDOW = timedelta(hours=24)


def _base_url() -> str:
    try:
        from airflow_errorguard.compat import conf

        return str(conf.get("api", "base_url", fallback="") or "")
    except Exception:
        return ""


def _from_dag_processor(context: Mapping[str, Any], state: str) -> bool:
    """
    The DAG processor runs a task's failure callbacks for a try that died (heartbeat timeout,
    killed from outside, or errorguard's request for a try found dead when its run ended) with
    a context that has neither the exception nor the task instance's state; the worker always
    sets the state before it runs a callback.
    """
    return not state and context.get("exception") is None and task_ref(context).known


def _died(hook: Any, identity: TaskIdentity, error: Any) -> BaseException:
    """The killed try's error: as recorded for it by the scheduler side, else from Airflow's message."""
    from airflow_errorguard.exceptions import TaskProcessDied
    from airflow_errorguard.listeners.killed import DIED, as_exception

    if error:
        return as_exception(error)
    recorded = hook.events.of_try(identity)
    if recorded is not None and recorded.exception_message:
        return TaskProcessDied(recorded.exception_message)
    return TaskProcessDied(f"try {identity.try_number}: {DIED}")


class ErrorGuardCallback:
    """
    Failure/retry/success callback that alerts once per incident through Airflow notifiers.

    :param notifiers: ``BaseNotifier`` instances (``SmtpNotifier``, ``SlackNotifier``...) or callables
        ``f(context)``; each receives the task context plus ``errorguard_alert`` (dict) and
        ``errorguard_alert_text``.
    :param errorguard_conn_id: Connection to errorguard's tables (default ``errorguard_default``).
    :param config: Grouping, repeat interval, group wait, learning; default from ``[errorguard]``.
    :param circuit: Name of the circuit breaker guarding this task's dependency: its state is shown
        and, while it is open, failures are folded into the circuit's incident.
    :param rules: Extra classification rules (as for ``ErrorGuardRetryPolicy``).
    :param classifier: A ready classifier (replaces *rules* and the rules file). Used for tasks
        that name none: a task's own classifier (``GuardedOperator(classifier=...)``, its
        ``ErrorGuardRetryPolicy``'s) wins, and a try its retry policy decided is recorded with the
        verdict the policy acted on.
    :param clock: Aware-UTC clock (tests). :param sleep: Used for ``group_wait`` (tests).
    """

    def __init__(
        self,
        *,
        notifiers: Iterable[Notifier] = (),
        errorguard_conn_id: str = DEFAULT_CONN_ID,
        config: AlertConfig | None = None,
        circuit: str | None = None,
        rules: Sequence[Any] = (),
        classifier: Classifier | None = None,
        clock: Clock = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        settings = load_settings()
        self.notifiers = tuple(notifiers)
        for notifier in self.notifiers:
            if not callable(notifier):
                raise ErrorGuardConfigError(f"ErrorGuardCallback: notifier {notifier!r} is not callable")
        self.errorguard_conn_id = errorguard_conn_id
        self.config = config or AlertConfig.from_settings(settings)
        self.system_max_retries = settings.system_max_retries
        self.circuit = circuit
        self.classifier = classifier or build_classifier(tuple(rules), None, settings)
        self.clock = clock
        self.sleep = sleep

    # -- entry points ----------------------------------------------------------------------

    def __call__(self, context: Mapping[str, Any]) -> None:
        """Any of the three callbacks: the task instance's state says which."""
        ti = context.get("ti")
        state = str(getattr(getattr(ti, "state", None), "value", getattr(ti, "state", "")) or "")
        if _from_dag_processor(context, state):  # a killed try's failure callback: Airflow runs no other
            ref = task_ref(context)
            self._guarded(context, final=ref.max_tries is None or ref.try_number > ref.max_tries)
        elif state == "success" or (
            context.get("exception") is None and state not in ("failed", "up_for_retry")
        ):
            self.on_success(context)
        else:
            self._guarded(context, final=state != "up_for_retry")

    def on_failure(self, context: Mapping[str, Any]) -> None:
        """``on_failure_callback``: the task failed for good."""
        self._guarded(context, final=True)

    def on_retry(self, context: Mapping[str, Any]) -> None:
        """``on_retry_callback``: the task is up for retry."""
        self._guarded(context, final=False)

    def on_success(self, context: Mapping[str, Any]) -> None:
        """``on_success_callback``: records the outcome and resolves the task's open incidents."""
        try:
            self._success(context)
        except Exception as err:
            log.warning("errorguard: success callback failed (task unaffected): %r", err, exc_info=True)

    def default_args(self) -> dict[str, Any]:
        """``{"on_failure_callback": self, "on_retry_callback": self, "on_success_callback": self}``."""
        return {"on_failure_callback": self, "on_retry_callback": self, "on_success_callback": self}

    # -- work ------------------------------------------------------------------------------

    def _hook(self) -> Any:
        from airflow_errorguard.hooks.errorguard import ErrorGuardHook

        return ErrorGuardHook(errorguard_conn_id=self.errorguard_conn_id, clock=self.clock)

    def _guarded(self, context: Mapping[str, Any], *, final: bool) -> None:
        try:
            self._failure(context, final=final)
        except Exception as err:
            log.warning("errorguard: alert callback failed (task unaffected): %r", err, exc_info=True)

    def _failure(self, context: Mapping[str, Any], *, final: bool) -> Alert | None:
        identity = TaskIdentity.from_context(context)
        max_tries = task_ref(context).max_tries
        hook = self._hook()
        db = hook.database
        error = context.get("exception")
        if not isinstance(error, BaseException):  # Airflow 3.1/3.2 dag.test() leaves it out
            from airflow_errorguard.compat import finalizing_task_error

            error = finalizing_task_error() or error
        if not isinstance(error, BaseException):  # a killed try (the DAG processor passes no exception)
            error = _died(hook, identity, error)
        verdict = classify_for_task(
            context.get("ti"), error, context, lambda: self.classifier, task=context.get("task")
        )
        record_failure(hook, identity, verdict, error, final=final, max_tries=max_tries)
        circuit = self._circuit(db, error)
        inhibited = circuit.name if circuit is not None and circuit.state in OPEN_STATES else None
        learned = self._learn(db, verdict)
        decision = should_alert(
            final=final,
            category=str(verdict.category),
            try_number=identity.try_number,
            max_tries=max_tries,
            system_max_retries=self.system_max_retries,
            circuit_open=inhibited,
            learned=learned,
        )
        if not decision.alert:
            log.info("errorguard: no alert for %s.%s: %s", identity.dag_id, identity.task_id, decision.why)
            metrics.alert_suppressed("retry_pending", category=str(verdict.category))
            return None
        key = self.config.incident_key(
            dag_id=identity.dag_id,
            task_id=identity.task_id,
            fingerprint=verdict.fingerprint,
            circuit=self.circuit,
            inhibited_by=inhibited,
        )
        claim = self._claim(hook, key, identity, verdict, inhibited)
        if claim is None or not claim.notify:
            reason = "inhibited" if inhibited else "duplicate"
            log.info("errorguard: alert for incident %s suppressed (%s)", key, reason)
            metrics.alert_suppressed(reason, category=str(verdict.category))
            return None
        alert = self._alert(db, identity, max_tries, verdict, error, decision.why, claim, circuit, learned)
        result = dispatch(alert, self.notifiers, context)
        log.info(
            "errorguard: %s sent for incident %s via %s%s",
            alert.kind,
            key,
            ", ".join(result.sent) or "no notifier",
            f"; failed: {result.failed}" if result.failed else "",
        )
        metrics.alert_sent(alert.kind, category=alert.category)
        return alert

    def _circuit(self, db: Any, error: Any) -> CircuitInfo | None:
        found = circuit_from_exception(error if isinstance(error, BaseException) else None)
        if found is not None or not self.circuit:
            return found
        return circuit_info(db, self.circuit)

    def _learn(self, db: Any, verdict: Classification) -> LearnedDecision | None:
        if not self.config.learning or str(verdict.category) != "unknown" or not verdict.fingerprint:
            return None
        return learned_decision(
            db,
            verdict.fingerprint,
            window=self.config.learning_window,
            min_samples=self.config.learning_min_samples,
            max_samples=self.config.learning_max_samples,
        )

    def _claim(
        self, hook: Any, key: str, identity: TaskIdentity, verdict: Classification, inhibited: str | None
    ) -> Claim | None:
        observation = Observation(
            incident_key=key,
            error_category=str(verdict.category),
            fingerprint=verdict.fingerprint,
            dag_id=identity.dag_id,
            task_id=identity.task_id,
            run_id=identity.run_id,
            circuit_name=inhibited or self.circuit,
            reason=verdict.reason,
        )
        cfg = self.config
        claim: Claim | None = hook.incidents.observe(
            observation, repeat_interval=cfg.repeat_interval, group_wait=cfg.group_wait
        )
        if claim is not None and claim.pending_until is not None:
            self.sleep(max((claim.pending_until - self.clock()).total_seconds(), 0.0))
            claim = hook.incidents.claim_after_wait(
                key, repeat_interval=cfg.repeat_interval, group_wait=cfg.group_wait
            )
        return claim

    def _alert(  # noqa: PLR0917 - private, called once
        self,
        db: Any,
        identity: TaskIdentity,
        max_tries: int | None,
        verdict: Classification,
        error: Any,
        why: str,
        claim: Claim,
        circuit: CircuitInfo | None,
        learned: LearnedDecision | None,
    ) -> Alert:
        base = _base_url()
        now = self.clock()
        incident = claim.incident
        return Alert(
            kind="reminder" if claim.reminder else "alert",
            incident_key=incident.incident_key,
            dag_id=identity.dag_id,
            task_id=identity.task_id,
            run_id=identity.run_id,
            map_index=identity.map_index,
            try_number=identity.try_number,
            max_tries=max_tries,
            category=str(verdict.category),
            reason=verdict.reason,
            why_alert=why,
            rule=verdict.rule,
            exception_type=verdict.exception_type or type(error).__name__,
            message=str(error)[:500] if error is not None else None,
            fingerprint=verdict.fingerprint,
            occurrences_in_window=stats.occurrences(db, verdict.fingerprint, now - OCCURRENCE_WINDOW)
            if verdict.fingerprint
            else 0,
            window_hours=OCCURRENCE_WINDOW.total_seconds() / 3600,
            since_last=claim.since_last,
            suppressed=incident.suppressed_count,
            quarantined_in_run=stats.quarantined_in_run(db, identity.dag_id, identity.run_id),
            circuit=circuit,
            learned=learned.reason if learned is not None else None,
            ti_url=ti_url(base, identity.dag_id, identity.run_id, identity.task_id, identity.map_index),
            errorguard_url=errorguard_url(base, identity.dag_id, identity.run_id, identity.task_id),
        )

    def _success(self, context: Mapping[str, Any]) -> list[Alert]:
        return resolve_on_success(
            self._hook(),
            context,
            self.notifiers,
            resolve_notice=self.config.resolve_notice,
            base_url=_base_url(),
            incident_key=self.config.incident_key,
        )
