"""A plain-text summary of incidents: what was alerted and what was suppressed (the demo report)."""

from __future__ import annotations

from airflow_errorguard.storage.database import Transactional
from airflow_errorguard.storage.incidents import IncidentRepository


def incident_report(tx: Transactional, *, dag_id: str | None = None, limit: int = 50) -> str:
    """One line per incident (of *dag_id* when given): status, notifications sent and suppressed."""
    rows = [i for i in IncidentRepository(tx).list(limit=limit) if dag_id is None or i.dag_id == dag_id]
    if not rows:
        return "no incidents"
    lines = []
    for i in rows:
        lines.append(
            f"{i.status:8} {i.error_category:13} {i.incident_key}: {i.occurrences} failure(s), "
            f"{i.notify_count} alert(s) sent, {i.suppressed_count} suppressed"
            + (f"; last: {i.reason}" if i.reason else "")
        )
    sent = sum(i.notify_count for i in rows)
    suppressed = sum(i.suppressed_count for i in rows)
    lines.append(f"total: {len(rows)} incident(s), {sent} alert(s) sent, {suppressed} suppressed")
    return "\n".join(lines)
