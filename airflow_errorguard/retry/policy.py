"""``ErrorGuardRetryPolicy``: errorguard's classification as Airflow's native ``retry_policy``."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.cached_decision import CachedVerdict, Decision
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import Classification
from airflow_errorguard.classification.quick_key import quick_repeat
from airflow_errorguard.classification.rules import Rule
from airflow_errorguard.classification.safe_read import safe_str
from airflow_errorguard.classification.task_scope import remember_verdict
from airflow_errorguard.compat import RetryDecision, RetryPolicy, require_native_retry_policy
from airflow_errorguard.configured import build_classifier
from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.exceptions import ErrorGuardConfigError
from airflow_errorguard.metrics import QUIET, quiet
from airflow_errorguard.retry.decision_metrics import emit_metrics
from airflow_errorguard.retry.decision_plan import DecisionPlan, kept_plan
from airflow_errorguard.settings import ErrorGuardSettings, load_settings
from airflow_errorguard.task_context import task_ref

if TYPE_CHECKING:
    from airflow.sdk.definitions.context import Context

log = logging.getLogger(__name__)

_DurationLike = timedelta | float | int


@dataclass(frozen=True)
class PolicyDecision:
    """What :class:`ErrorGuardRetryPolicy` decided for one failed try, as given to ``on_decision``."""

    exception: BaseException
    classification: Classification
    decision: RetryDecision
    try_number: int
    max_tries: int
    dag_id: str | None
    task_id: str | None
    run_id: str | None = None
    map_index: int = -1


class ErrorGuardRetryPolicy(RetryPolicy):
    """
    Retry transient failures with jittered backoff, fail fast on permanent ones.

    Use it on any operator or in ``default_args``::

        default_args = {"retries": 4, "retry_policy": ErrorGuardRetryPolicy()}

    Decisions, by classification:

    * ``transient`` → retry after ``backoff.delay(try_number)``; a ``Retry-After`` the service
      sent wins when longer (still capped by ``max_delay``);
    * ``data`` and ``configuration`` → fail now: retrying cannot fix the input or the setup;
    * ``system`` → at most ``system_max_retries`` retries, then fail;
    * ``unknown`` → Airflow's default (``retries`` / ``retry_delay``).

    The task's ``retries`` still caps everything. Configuration errors (bad rules, options) are
    raised here, at DAG parse time; :meth:`evaluate` itself never raises. Needs Airflow 3.3+: on
    older Airflow building one raises :class:`ErrorGuardConfigError` (see ``docs/compatibility.md``).

    :param backoff: Full backoff settings; exclusive with ``base_delay``/``max_delay``/``jitter``.
    :param base_delay: Shortcut: delay of the first retry (default ``[errorguard] base_delay``).
    :param max_delay: Shortcut: cap on any delay (default ``[errorguard] max_delay``).
    :param jitter: Shortcut: ``full``, ``equal``, ``decorrelated`` or ``none``.
    :param rules: Extra :class:`Rule` objects, tried before the rules file and built-ins.
    :param rules_file: Rules file to use instead of ``[errorguard] rules_file``.
    :param system_max_retries: Retries allowed for system errors (default from config).
    :param classifier: A ready :class:`Classifier`; replaces rules and rules file.
    :param on_decision: Called with a :class:`PolicyDecision` after every evaluation (to record
        or report it); its failures are logged and never change the decision.
    :param circuit: A circuit breaker (name or ``Circuit``) the failure is recorded into, with its
        category (only counted categories count). While that circuit is open, a retry waits at
        least until its next probe.
    :param circuit_conn_id: Connection of errorguard's storage for the circuit.
    """

    def __init__(
        self,
        *,
        backoff: Backoff | None = None,
        base_delay: _DurationLike | None = None,
        max_delay: _DurationLike | None = None,
        jitter: str | None = None,
        rules: Iterable[Rule] = (),
        rules_file: str | None = None,
        system_max_retries: int | None = None,
        classifier: Classifier | None = None,
        on_decision: Callable[[PolicyDecision], object] | None = None,
        circuit: Any = None,
        circuit_conn_id: str = DEFAULT_CONN_ID,
    ) -> None:
        require_native_retry_policy(type(self).__name__)
        settings = load_settings()
        self.on_decision = on_decision
        if circuit is not None:
            from airflow_errorguard.circuits.registry import validate_circuit_argument

            circuit = validate_circuit_argument(circuit, "ErrorGuardRetryPolicy")
        self.circuit = circuit
        self.circuit_conn_id = circuit_conn_id
        if backoff is not None and (base_delay, max_delay, jitter) != (None, None, None):
            raise ErrorGuardConfigError(
                "ErrorGuardRetryPolicy: pass either backoff= or the base_delay/max_delay/jitter shortcuts"
            )
        rules = tuple(rules)
        for rule in rules:
            if not isinstance(rule, Rule):
                raise ErrorGuardConfigError(
                    f"ErrorGuardRetryPolicy: rules must be Rule objects, got {rule!r}"
                )
        try:
            self.backoff = backoff or Backoff(
                base_delay=_duration(base_delay, settings.base_delay),
                max_delay=_duration(max_delay, settings.max_delay),
                jitter=(jitter or settings.jitter),  # type: ignore[arg-type]
            )
        except (TypeError, ValueError) as err:
            raise ErrorGuardConfigError(f"ErrorGuardRetryPolicy: {err}") from err
        if system_max_retries is not None and (
            isinstance(system_max_retries, bool)
            or not isinstance(system_max_retries, int)
            or system_max_retries < 0
        ):
            raise ErrorGuardConfigError(
                "ErrorGuardRetryPolicy: system_max_retries must be a whole number >= 0, "
                f"got {system_max_retries!r}"
            )
        self.system_max_retries = (
            settings.system_max_retries if system_max_retries is None else system_max_retries
        )
        self.classifier = classifier or build_classifier(rules, rules_file, settings)
        #: Whether the classifier was chosen here (``classifier``, ``rules`` or ``rules_file``).
        self.classifier_chosen = classifier is not None or bool(rules) or rules_file is not None
        #: Whether a subclass overrides :meth:`decide`: then it decides repeated failures too.
        self._decide_overridden = type(self).decide is not ErrorGuardRetryPolicy.decide
        #: :class:`DecisionPlan` by cached decision (``id``, kept with the decision it was made for).
        self._plans: dict[int, tuple[Decision, DecisionPlan]] = {}

    def with_classifier(self, classifier: Classifier, owner: str) -> ErrorGuardRetryPolicy:
        """
        This policy deciding with *classifier* (the task's): a copy, or ``self`` when it already does.

        :raises ErrorGuardConfigError: this policy was given another classifier or rules.
        """
        if self.classifier is classifier:
            return self
        if self.classifier_chosen:
            raise ErrorGuardConfigError(
                f"{owner}: classifier= and a retry policy with its own classifier or rules disagree; "
                "give the classifier to one of them (a task decides with one classifier)"
            )
        bound = copy.copy(self)
        bound.classifier = classifier
        bound._plans = {}
        return bound

    # -- RetryPolicy ------------------------------------------------------------------------

    def evaluate(
        self,
        exception: BaseException,
        try_number: int,
        max_tries: int,
        context: Context | None = None,
    ) -> RetryDecision:
        """Decide retry / fail / default for *exception*; never raises."""
        try:
            classifier = self.classifier
            found: Classification | CachedVerdict | None = None
            if type(classifier) is Classifier:  # a lone repeat: quick_repeat() without resolve() around it
                cache = classifier._cache
                if cache.seen.get(type(exception)) and not classifier._scoped:
                    found = quick_repeat(cache, exception)
            if found is None:  # a subclass's own classify() is honoured
                found = (
                    classifier.resolve(exception, context)
                    if type(classifier).classify is _CLASSIFY
                    else classifier.classify(exception, context)
                )
            if isinstance(found, Classification):
                decision = self.decide(found, try_number, max_tries)
                category = found.category
            elif self._decide_overridden:  # decide() overridden (LearnedRetryPolicy): given the verdict
                verdict = found.verdict
                decision = self.decide(verdict, try_number, max_tries)
                category = verdict.category
            else:  # a repeated failure: its plan; the verdict is built only if something reads it
                cached = found.decision
                kept = self._plans.get(id(cached))
                plan = (
                    kept[1]
                    if kept is not None and kept[0] is cached
                    else kept_plan(self._plans, cached, self.backoff, self.system_max_retries)
                )
                retry_after = None if plan.settled is not None else found.retry_after  # settled: not read
                decision = plan.decide(try_number, max_tries, retry_after)
                category = plan.category
            if context is not None:
                remember_verdict(context.get("ti"), exception, found)
            circuit, on_decision = self.circuit, self.on_decision  # read once: every decision
            if circuit is not None or on_decision is not None:
                verdict = found if isinstance(found, Classification) else found.verdict
        except Exception as err:
            log.warning("errorguard retry policy failed; Airflow's default applies: %r", err, exc_info=True)
            return RetryDecision(
                reason=f"errorguard could not decide ({type(err).__name__}: {safe_str(err)[:200]})"
            )
        if circuit is not None:
            decision = self._record_in_circuit(exception, verdict, decision, context)
        try:  # metrics.quiet(), inlined: while no backend is configured, two identity checks
            stats, incr, backend_of, backend = QUIET[0]
            if (stats.incr is not incr or backend_of("_backend") is not backend) and not quiet():
                emit_metrics(category, decision)
        except Exception as err:  # metrics never change a decision
            log.debug("errorguard: decision metrics not emitted: %r", err)
        if on_decision is not None:
            self._report(PolicyDecision(exception, verdict, decision, try_number, max_tries, *_ids(context)))
        return decision

    def _record_in_circuit(
        self, exception: BaseException, verdict: Classification, decision: RetryDecision, context: Any
    ) -> RetryDecision:
        """Record the failure in the circuit; while it is open, retry no earlier than its next probe."""
        try:
            from airflow_errorguard.breaker.state import CircuitState
            from airflow_errorguard.circuits.registry import get_circuit_breaker

            breaker = get_circuit_breaker(self.circuit, conn_id=self.circuit_conn_id, context=context)
            snap = breaker.record_failure(
                verdict.category.value, error=exception, fingerprint=verdict.fingerprint
            )
            if snap is None or snap.state is not CircuitState.OPEN or snap.next_probe_at is None:
                return decision
            wait = snap.next_probe_at - breaker.clock()
            if (
                decision.action.value != "retry"
                or decision.retry_delay is None
                or wait <= decision.retry_delay
            ):
                return decision
            return RetryDecision.retry(
                delay=wait, reason=f"{decision.reason}; circuit {breaker.name!r} is open until its next probe"
            )
        except Exception as err:
            log.warning("errorguard could not record the failure in circuit %r: %r", self.circuit, err)
            return decision

    def _report(self, record: PolicyDecision) -> None:
        try:
            self.on_decision(record)  # type: ignore[misc]
        except Exception as err:
            log.warning("errorguard on_decision callback failed (decision unchanged): %r", err)

    def decide(self, verdict: Classification, try_number: int, max_tries: int) -> RetryDecision:
        """Turn a classification into Airflow's :class:`RetryDecision` for try *try_number*."""
        plan = DecisionPlan(verdict, self.backoff, self.system_max_retries)
        return plan.decide(try_number, max_tries, verdict.retry_after)

    def serialize(self) -> dict[str, Any]:
        """Describe the policy (Airflow serializes only a ``has_retry_policy`` flag)."""
        return {
            "__type": "ErrorGuardRetryPolicy",
            "base_delay": self.backoff.base_delay.total_seconds(),
            "max_delay": self.backoff.max_delay.total_seconds(),
            "jitter": self.backoff.jitter,
            "system_max_retries": self.system_max_retries,
            "rules": [rule.name for rule in self.classifier.rules],
        }


_CLASSIFY = Classifier.classify


def _ids(context: Context | None) -> tuple[str | None, str | None, str | None, int]:
    """``(dag_id, task_id, run_id, map_index)`` of the failed task instance, where known."""
    ref = task_ref(context)
    return ref.dag_id, ref.task_id, ref.run_id, ref.map_index


def _duration(value: _DurationLike | None, default_seconds: float) -> timedelta:
    if value is None:
        return timedelta(seconds=default_seconds)
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=float(value))


__all__ = ["ErrorGuardRetryPolicy", "ErrorGuardSettings", "PolicyDecision"]
