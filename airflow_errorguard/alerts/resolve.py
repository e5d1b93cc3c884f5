"""A success after an incident: record that the retry fixed it, resolve, optionally send the notice."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
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
    incident_key: Callable[..., str] | None = None,
) -> list[Alert]:
    """
    Mark the task instance's failed tries ``success`` (what learning reads) and mark this task
    fixed in every open incident it was failing in; an incident resolves when every task it was
    seen failing on has succeeded since. A circuit's incident is left open: it resolves when the
    circuit closes, not on one success. The resolve notice goes out once (the caller that resolved
    it) and only for incidents that notified. Returns the notices sent.

    A mapped task instance's success does not fix an incident while another map index of the same
    task in the same run still has a failure in it (*incident_key* maps an event's dag, task and
    fingerprint to its incident, as the callback's grouping does): the task is still failing there.
    """
    ref = task_ref(context)
    identity = TaskIdentity.from_context(context)
    hook.events.set_outcome(identity, "success")
    sent = []
    for incident in hook.incidents.open_for_task(identity.dag_id, identity.task_id):
        if incident.incident_key.startswith("circuit="):
            continue
        if identity.map_index >= 0 and _sibling_still_failing(hook, identity, incident, incident_key):
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


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _sibling_still_failing(
    hook: Any, identity: TaskIdentity, incident: Any, incident_key: Callable[..., str] | None
) -> bool:
    """Whether another map index of this task in this run failed in *incident* and has not succeeded."""
    first_seen = getattr(incident, "first_seen_at", None)
    since = first_seen - timedelta(days=1) if first_seen is not None else _EPOCH  # events come first
    events = hook.events.in_window(since, dag_id=identity.dag_id, task_id=identity.task_id)
    for event in events:
        if event.run_id != identity.run_id or event.map_index in (identity.map_index, -1):
            continue
        if event.outcome == "success":
            continue
        if incident_key is None:
            same = event.fingerprint == incident.fingerprint
        else:
            same = incident_key(dag_id=event.dag_id, task_id=event.task_id, fingerprint=event.fingerprint)
            same = same == incident.incident_key
        if same:
            return True
    return False
