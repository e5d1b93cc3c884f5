"""
How :class:`~airflow_errorguard.retry.policy.ErrorGuardRetryPolicy` turns a verdict into Airflow's
``RetryDecision``, with the fixed parts prepared once.

A :class:`DecisionPlan` holds what does not change from one failed try to the next for one verdict
and one policy: the retry budget, the backoff, the reason's text around the try number and the
delay, and the decision itself when it is settled (fail now, or Airflow's default). The policy
keeps one plan per cached verdict, so a repeated failure's decision is a budget check, one jitter
draw and one lookup.

A jittered delay is drawn at **0.1 s resolution**: the draw (a fresh random number per decision)
is rounded to the nearest tenth of a second, then capped and floored as :meth:`.Backoff.delay`
does. Airflow schedules a retry to the second and the reason prints the delay as ``x.ys`` anyway;
in exchange a retry decision is one frozen ``RetryDecision`` per ``(try number, budget, tenths)``,
shared by the repeats that draw the same tenths (no ``timedelta``, no text built). A delay without
a draw (``jitter="none"``), with a ``Retry-After``, or of retry 64 and later is not rounded.
"""

from __future__ import annotations

from datetime import timedelta

from airflow_errorguard.backoff import Backoff
from airflow_errorguard.classification.cached_decision import Decision
from airflow_errorguard.classification.model import Classification, ErrorAction, ErrorCategory
from airflow_errorguard.compat import RetryAction, RetryDecision

#: Unknown and fail decisions by ``(category, reason, rule)``, bounded.
_SETTLED: dict[tuple[ErrorCategory, str, str], RetryDecision] = {}
_SETTLED_MAX = 1024
_new = object.__new__
#: ``None`` below Airflow 3.3, where no policy can be built (``require_native_retry_policy``).
_RETRY = getattr(RetryAction, "RETRY", None)


def settled_decision(verdict: Classification) -> RetryDecision:
    """The (frozen, shared) decision for an unknown verdict (Airflow's default) or one that fails now."""
    key = (verdict.category, verdict.reason, verdict.rule)
    decision = _SETTLED.get(key)
    if decision is None:
        reason = verdict.reason
        if verdict.category is ErrorCategory.UNKNOWN:
            decision = RetryDecision(reason=f"{reason} [errorguard: {verdict.rule}]")
        else:
            what = (
                "retrying cannot fix it"
                if verdict.category is not ErrorCategory.TRANSIENT
                else "a rule says fail"
            )
            decision = RetryDecision.fail(
                f"{reason}; failing without retry, {what} [errorguard: {verdict.rule}]"
            )
        if len(_SETTLED) >= _SETTLED_MAX:
            _SETTLED.clear()
        _SETTLED[key] = decision
    return decision


def _retry(delay: timedelta, reason: str) -> RetryDecision:
    """``RetryDecision.retry(delay, reason)`` without the frozen dataclass's one ``__setattr__`` per field."""
    decision = _new(RetryDecision)
    decision.__dict__.update(action=_RETRY, retry_delay=delay, reason=reason)
    return decision


class DecisionPlan:
    """
    One verdict's retry decisions under one policy.

    :param verdict: The classification (its category, action, reason, rule and overrides).
    :param backoff: The policy's backoff (a user rule's own backoff wins).
    :param system_max_retries: The policy's retry budget for system errors.
    """

    __slots__ = (
        "_cap",
        "_decisions",
        "_draws",
        "_exhausted",
        "_floor",
        "_random",
        "backoff",
        "budget",
        "category",
        "prefix",
        "reason",
        "rule",
        "settled",
        "suffix",
    )

    def __init__(self, verdict: Classification, backoff: Backoff, system_max_retries: int) -> None:
        category = verdict.category
        self.category = category
        self.settled: RetryDecision | None = None
        #: Retries allowed; ``None``: as many as the task's tries.
        self.budget: int | None = verdict.max_retries
        if category is ErrorCategory.SYSTEM:
            if self.budget is None:
                self.budget = system_max_retries
        elif category is ErrorCategory.UNKNOWN or verdict.action is not ErrorAction.RETRY:
            self.settled = settled_decision(verdict)
        self.backoff = backoff = verdict.backoff if isinstance(verdict.backoff, Backoff) else backoff
        # What Backoff.delay draws per retry number, and its bounds: the draw is made here, one
        # random number per decision, without the call.
        self._draws = backoff.draws
        _, self._cap, self._floor = backoff.bounds
        self._random = backoff.rng.random
        self.reason = verdict.reason
        self.rule = verdict.rule
        self.prefix = f"{verdict.reason}; retry "
        self.suffix = f" [errorguard: {verdict.rule}]"
        #: Retry decisions by ``(try_number, budget, tenths of a second drawn)`` (bounded).
        self._decisions: dict[tuple[int, int, int], RetryDecision] = {}
        self._exhausted: dict[int, RetryDecision] = {}

    def decide(self, try_number: int, max_tries: int, retry_after: timedelta | None = None) -> RetryDecision:
        """The decision for try *try_number* of *max_tries* (*retry_after*: what the service asked)."""
        settled = self.settled
        if settled is not None:
            return settled
        budget = self.budget if self.budget is not None else max_tries
        if try_number > budget:
            return self._used_up(budget)
        draws = self._draws
        if retry_after is not None or not 0 <= try_number < len(draws):
            return self._decide_slow(try_number, budget, retry_after)
        # Backoff.delay(try_number)'s draw, inlined, at 0.1 s resolution: one random number per
        # decision, in tenths of a second (-1: no draw); the cap and the floor apply in _made().
        low, span = draws[try_number]
        tenths = -1 if span is None else int((low + span * self._random()) * 10 + 0.5)
        decision = self._decisions.get((try_number, budget, tenths))
        if decision is None:
            decision = self._made(try_number, budget, tenths)
        return decision

    def _made(self, try_number: int, budget: int, tenths: int) -> RetryDecision:
        """The (frozen, shared) retry decision for a draw of *tenths* (``-1``: no draw), kept for
        the next draw of the same tenths: the delay, capped and floored as Backoff.delay's."""
        seconds = self._draws[try_number][0] if tenths < 0 else tenths / 10
        cap = self._cap
        if seconds > cap:  # noqa: PLR1730
            seconds = cap
        floor = self._floor
        if seconds < floor:  # noqa: PLR1730
            seconds = floor
        delay = timedelta(0, seconds)
        decision = _retry(
            delay, f"{self.prefix}{try_number}/{budget} in {delay.total_seconds():.1f}s{self.suffix}"
        )
        decisions = self._decisions
        if len(decisions) >= _DECISIONS_MAX:
            decisions.clear()
        decisions[try_number, budget, tenths] = decision
        return decision

    def _decide_slow(self, try_number: int, budget: int, retry_after: timedelta | None) -> RetryDecision:
        """A retry that honours a ``Retry-After``, or whose retry number has no precomputed draw."""
        delay = self.backoff.delay(try_number, retry_after=retry_after)
        if retry_after is None:
            seconds = delay.total_seconds()
            return _retry(delay, f"{self.prefix}{try_number}/{budget} in {seconds:.1f}s{self.suffix}")
        return _retry(
            delay,
            f"{self.prefix}{try_number}/{budget} in {delay.total_seconds():.1f}s, "
            f"Retry-After {retry_after.total_seconds():g}s honoured{self.suffix}",
        )

    def _used_up(self, budget: int) -> RetryDecision:
        decision = self._exhausted.get(budget)
        if decision is None:
            one = budget == 1
            decision = self._exhausted[budget] = RetryDecision.fail(
                f"{self.reason}; failing: the {budget} retr{'y' if one else 'ies'} allowed "
                f"for this error {'is' if one else 'are'} used up [errorguard: {self.rule}]"
            )
        return decision


def kept_plan(
    plans: dict[int, tuple[Decision, DecisionPlan]],
    cached: Decision,
    backoff: Backoff,
    system_max_retries: int,
) -> DecisionPlan:
    """The plan of a cached decision under a policy's *backoff* and budget, kept in the policy's
    *plans* (by the decision's ``id``, with the decision: an ``id`` may be reused) for the next repeat."""
    if len(plans) >= _PLANS_MAX:
        plans.clear()
    plan = DecisionPlan(cached.verdict, backoff, system_max_retries)
    plans[id(cached)] = (cached, plan)
    return plan


#: Plans kept per policy (one per cached verdict it decided on), bounded.
_PLANS_MAX = 1024
#: Retry decisions kept per plan (one per try number, budget and tenth of a second drawn): a first
#: retry under the default 10 s base delay draws one of 101 tenths, so they all fit.
_DECISIONS_MAX = 128


__all__ = ["DecisionPlan", "kept_plan", "settled_decision"]
