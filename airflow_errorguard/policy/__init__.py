"""
Cluster policy: errorguard on every task of a deployment, with no DAG edits.

Install it with one line in ``airflow_local_settings.py`` (``$AIRFLOW_HOME/config/``)::

    from airflow_errorguard.policy import task_policy

or with notifiers of your own (default: :class:`~airflow_errorguard.alerts.notifiers.LogNotifier`)::

    task_policy = ErrorGuardPolicy(notifiers=[SlackNotifier(...)])

or with no file at all: the package's ``airflow.policy`` entry point (:class:`EntryPointPolicy`)
applies it once ``[errorguard] cluster_policy`` is set to ``all`` or ``opt_in``.

Per task, once (applying it again changes nothing), without replacing anything the task sets:

* :class:`~airflow_errorguard.retry.policy.ErrorGuardRetryPolicy` where the task has no
  ``retry_policy`` (Airflow 3.3+; below, the rest is still attached);
* the alert callback (an :class:`~airflow_errorguard.alerts.callback.ErrorGuardCallback`) after the
  task's own ``on_failure``/``on_retry``/``on_success`` callbacks;
* for a task naming a circuit (``params={"errorguard_circuit": "crm_api"}``), its outcomes in that
  circuit (:class:`~airflow_errorguard.circuits.outcomes.CircuitOutcomeCallback`).

Left alone: DAGs tagged ``errorguard:off``, tasks with ``params={"errorguard": "off"}`` and, with
``cluster_policy = opt_in``, every DAG not tagged ``errorguard:on``. The policy runs at parse time
in the DAG processor and the worker: attaching imports nothing heavy (the callbacks build their
errorguard objects on first use) and an internal error is logged, leaving the task untouched. Only
a malformed errorguard tag or param fails the DAG's import, naming it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from airflow.policies import hookimpl

from airflow_errorguard.constants import DEFAULT_CONN_ID
from airflow_errorguard.policy.reading import (
    CALLBACKS,
    CIRCUIT_PARAM,
    SWITCH_PARAM,
    TAG_OFF,
    TAG_ON,
    as_list,
    circuit_param,
    errorguard_params,
    errorguard_tags,
    has_callback,
    named_circuit,
    task_name,
    task_switch,
    violation,
)

log = logging.getLogger(__name__)

_reported: set[str] = set()


class ErrorGuardPolicy:
    """
    A ``task_policy`` attaching errorguard to every task (see the module docstring).

    :param notifiers: Notifiers of the alert callback (default: a ``LogNotifier``: the alert in the
        task log). Built once, where ``airflow_local_settings.py`` is imported.
    :param errorguard_conn_id: Connection to errorguard's tables.
    :param retry_policy: Attach ``ErrorGuardRetryPolicy`` where a task has none (Airflow 3.3+).
    :param alerts: Attach the alert callback.
    :param unset_mode: The mode while ``[errorguard] cluster_policy`` is empty: ``all`` or ``off``.
    :raises ErrorGuardConfigError: a notifier is not callable (where the settings file is imported).
    """

    def __init__(
        self,
        *,
        notifiers: Iterable[Any] | None = None,
        errorguard_conn_id: str = DEFAULT_CONN_ID,
        retry_policy: bool = True,
        alerts: bool = True,
        unset_mode: str = "all",
    ) -> None:
        self.notifiers = None if notifiers is None else tuple(notifiers)
        for notifier in self.notifiers or ():
            if not callable(notifier):
                from airflow_errorguard.exceptions import ErrorGuardConfigError

                raise ErrorGuardConfigError(f"ErrorGuardPolicy: notifier {notifier!r} is not callable")
        if unset_mode not in ("all", "off"):
            from airflow_errorguard.exceptions import ErrorGuardConfigError

            raise ErrorGuardConfigError(
                f"ErrorGuardPolicy: unset_mode must be all or off, got {unset_mode!r}"
            )
        self.errorguard_conn_id = errorguard_conn_id
        self.retry_policy = retry_policy
        self.alerts = alerts
        self.unset_mode = unset_mode
        self._retry_policies: dict[str | None, Any] = {}
        self._callbacks: dict[tuple[type, str | None], Any] = {}

    def __call__(self, task: Any) -> None:
        """Attach errorguard to *task* (Airflow calls this once per task when it parses a DAG)."""
        try:
            changes = self.changes(task)
            for name, value in changes.items():
                setattr(task, name, value)
        except violation():
            raise  # a malformed errorguard tag or param: the DAG's import error names it
        except Exception as err:
            message = f"{type(err).__name__}: {err}"
            level = logging.DEBUG if message in _reported else logging.ERROR
            _reported.add(message)
            log.log(level, "errorguard cluster policy left task %s untouched: %s", task_name(task), message)

    def changes(self, task: Any) -> dict[str, Any]:
        """The attributes to set on *task* (empty: nothing to attach, or opted out)."""
        params = errorguard_params(task)
        if not self._applies(task, params):
            return {}
        circuit = circuit_param(task, params) or named_circuit(task)
        records = _records_circuit(task)
        changes: dict[str, Any] = {}
        policy_records = False
        if self.retry_policy and getattr(task, "retry_policy", None) is None:
            from airflow_errorguard.compat import HAS_NATIVE_RETRY_POLICY

            if HAS_NATIVE_RETRY_POLICY:
                policy_records = circuit is not None and not records
                changes["retry_policy"] = self._retry_policy(circuit if policy_records else None)
        added: dict[str, list[Any]] = {name: [] for name in CALLBACKS}
        if circuit is not None and not records:
            # The retry policy records failures itself: then the callback records successes only.
            for name in CALLBACKS[2:] if policy_records else CALLBACKS:
                added[name].append(self._callback(PolicyCircuitOutcome, circuit))
        if self.alerts and not has_callback(task, _ALERT_CLASSES):
            for name in CALLBACKS:
                added[name].append(self._callback(PolicyAlerts, circuit))
        for name, extra in added.items():
            if extra:
                changes[name] = [*as_list(getattr(task, name, None)), *extra]
        return changes

    def _applies(self, task: Any, params: dict[str, Any]) -> bool:
        mode = self._mode()
        if mode == "off":
            return False
        tags = errorguard_tags(task)
        switch = task_switch(task, params)
        if TAG_OFF in tags or switch == "off":
            return False
        return mode != "opt_in" or TAG_ON in tags or switch == "on"

    def _mode(self) -> str:
        from airflow_errorguard.settings import load_settings

        return load_settings().cluster_policy or self.unset_mode

    def _retry_policy(self, circuit: str | None) -> Any:
        policy = self._retry_policies.get(circuit)
        if policy is None:
            from airflow_errorguard.retry.policy import ErrorGuardRetryPolicy

            policy = ErrorGuardRetryPolicy(circuit=circuit, circuit_conn_id=self.errorguard_conn_id)
            self._retry_policies[circuit] = policy
        return policy

    def _callback(self, kind: type[_Deferred], circuit: str | None) -> Any:
        key = (kind, circuit)
        if key not in self._callbacks:
            self._callbacks[key] = kind(self, circuit)
        return self._callbacks[key]


class _Deferred:
    """A task callback whose errorguard object is built on its first call (nothing heavy at parse)."""

    def __init__(self, policy: ErrorGuardPolicy, circuit: str | None) -> None:
        self.policy = policy
        self.circuit = circuit
        self._built: Any = None

    def build(self) -> Any:
        raise NotImplementedError

    def __call__(self, context: Any) -> None:
        try:
            if self._built is None:
                self._built = self.build()
        except Exception as err:  # never disturb the task's own outcome
            log.warning("errorguard cluster policy: %s not run: %r", type(self).__name__, err)
            return
        self._built(context)

    def __deepcopy__(self, memo: dict[int, Any]) -> _Deferred:
        return self  # shared by every task of the process; copied tasks keep sharing it

    def __repr__(self) -> str:
        return f"{type(self).__name__}(circuit={self.circuit!r})"


class PolicyAlerts(_Deferred):
    """The policy's alert callback: an ``ErrorGuardCallback`` (notifiers of the policy)."""

    def build(self) -> Any:
        from airflow_errorguard.alerts.callback import ErrorGuardCallback

        notifiers = self.policy.notifiers
        if notifiers is None:
            from airflow_errorguard.alerts.notifiers import LogNotifier

            notifiers = (LogNotifier(),)
        return ErrorGuardCallback(
            notifiers=notifiers, errorguard_conn_id=self.policy.errorguard_conn_id, circuit=self.circuit
        )


class PolicyCircuitOutcome(_Deferred):
    """The policy's circuit callback: a ``CircuitOutcomeCallback`` of the task's circuit."""

    def build(self) -> Any:
        from airflow_errorguard.circuits.outcomes import CircuitOutcomeCallback

        return CircuitOutcomeCallback(str(self.circuit), errorguard_conn_id=self.policy.errorguard_conn_id)


#: Existing callbacks that already alert: ours, or an ``ErrorGuardCallback`` the DAG attached.
_ALERT_CLASSES = (PolicyAlerts, ("airflow_errorguard.alerts.callback", "ErrorGuardCallback"))
_OUTCOME_CLASSES = (PolicyCircuitOutcome, ("airflow_errorguard.circuits.outcomes", "CircuitOutcomeCallback"))


class EntryPointPolicy:
    """
    The ``airflow.policy`` entry point of the package: inactive until ``[errorguard] cluster_policy``
    is ``all`` or ``opt_in`` (installing the package changes no task by itself).
    """

    policy = ErrorGuardPolicy(unset_mode="off")

    @staticmethod
    @hookimpl
    def task_policy(task: Any) -> None:
        EntryPointPolicy.policy(task)


#: The one-line install: ``from airflow_errorguard.policy import task_policy``.
task_policy = ErrorGuardPolicy()


def _records_circuit(task: Any) -> bool:
    """Whether the task already records its outcomes in a circuit."""
    return named_circuit(task) is not None or has_callback(task, _OUTCOME_CLASSES)


__all__ = [
    "CIRCUIT_PARAM",
    "SWITCH_PARAM",
    "TAG_OFF",
    "TAG_ON",
    "EntryPointPolicy",
    "ErrorGuardPolicy",
    "PolicyAlerts",
    "PolicyCircuitOutcome",
    "task_policy",
]
