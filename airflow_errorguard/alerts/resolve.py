"""A success after an incident: record that the retry fixed it, resolve, optionally send the notice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_errorguard import metrics
from airflow_errorguard.alerts.content import Alert, ti_url
from airflow_errorguard.alerts.dispatch import Notifier, dispatch
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.task_context import task_ref


def resolve_on_success(
    hook: Any,
    context: Mapping[str, Any],
    notifiers: Sequence[Notifier],
    *,
    resolve_notice: bool,
    base_url: str = "",
) -> list[Alert]:
    """
    Mark the task instance's failed tries ``success`` (what learning reads) and mark this task
    fixed in every open incident it was failing in; an incident resolves when every task it was
    seen failing on has succeeded since. A circuit's incident is left open: it resolves when the
    circuit closes, not on one success. The resolve notice goes out once (the caller that resolved
    it) and only for incidents that notified. Returns the notices sent.
    """
    ref = task_ref(context)
    identity = TaskIdentity.from_context(context)
    hook.events.set_outcome(identity, "success")
    sent = []
    for incident in hook.incidents.open_for_task(identity.dag_id, identity.task_id):
        if incident.incident_key.startswith("circuit="):
            continue
        resolved = hook.incidents.fixed_on(incident.incident_key, identity.dag_id, identity.task_id)
        if resolved is None or not (resolve_notice and resolved.notify_count > 0):
            continue
        alert = Alert(
            kind="resolved",
            incident_key=resolved.incident_key,
            dag_id=identity.dag_id,
            task_id=identity.task_id,
            run_id=identity.run_id,
            map_index=identity.map_index,
            try_number=identity.try_number,
            max_tries=ref.max_tries,
            category=resolved.error_category,
            reason=resolved.reason or "",
            why_alert="the task succeeded",
            fingerprint=resolved.fingerprint,
            suppressed=resolved.suppressed_count,
            ti_url=ti_url(base_url, identity.dag_id, identity.run_id, identity.task_id, identity.map_index),
        )
        dispatch(alert, notifiers, context)
        metrics.alert_sent("resolved", category=alert.category)
        sent.append(alert)
    return sent
