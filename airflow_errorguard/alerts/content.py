"""What an alert says (pure): the :class:`Alert` record, its text, its structured dict, the runbook."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

#: One runbook step per category: what to check, what to run.
RUNBOOK: dict[str, str] = {
    "transient": "A dependency is flaky or down: check its status page and whether other tasks show the "
    "same fingerprint; once it is back, clear the failed task instances.",
    "data": "The input is bad: inspect the quarantined records of this run (link below), fix the "
    "producer or the schema, then release them for replay.",
    "configuration": "The deployment is wrong: check the connection/secret, grants and deployed code "
    "named in the message; fix it, then clear the task (retrying cannot help).",
    "system": "The host is in trouble: check worker memory/disk and the OOM killer (dmesg); raise the "
    "task's resources or move it, then clear it.",
    "unknown": "errorguard did not recognise this error: read the traceback in the task log; if it "
    "recurs, add a classification rule so the next one is decided for you.",
}

KINDS = ("alert", "reminder", "resolved")


@dataclass(frozen=True)
class CircuitInfo:
    """The circuit the failure is about: its state and next probe time."""

    name: str
    state: str
    next_probe_at: datetime | None = None


@dataclass(frozen=True)
class Alert:
    """
    One notification about an incident.

    ``dedup_key`` is stable per incident (PagerDuty ``dedup_key``, Slack thread key...).
    """

    kind: str
    incident_key: str
    dag_id: str
    task_id: str
    run_id: str
    try_number: int
    max_tries: int | None
    category: str
    reason: str
    why_alert: str
    map_index: int = -1
    rule: str | None = None
    exception_type: str | None = None
    message: str | None = None
    fingerprint: str | None = None
    occurrences_in_window: int = 0
    window_hours: float = 24.0
    since_last: int = 1
    suppressed: int = 0
    quarantined_in_run: int = 0
    circuit: CircuitInfo | None = None
    learned: str | None = None
    ti_url: str | None = None
    errorguard_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dedup_key(self) -> str:
        return "errorguard-" + hashlib.sha256(self.incident_key.encode()).hexdigest()[:32]

    @property
    def runbook(self) -> str:
        return RUNBOOK.get(self.category, RUNBOOK["unknown"])

    @property
    def title(self) -> str:
        prefix = {
            "alert": "[errorguard]",
            "reminder": "[errorguard reminder]",
            "resolved": "[errorguard resolved]",
        }
        what = "resolved" if self.kind == "resolved" else f"{self.category} error"
        return f"{prefix.get(self.kind, '[errorguard]')} {self.dag_id}.{self.task_id}: {what}"

    def text(self) -> str:
        """Plain text for e-mail and chat."""
        if self.kind == "resolved":
            return "\n".join(
                [
                    self.title,
                    f"{self.dag_id}.{self.task_id} succeeded in run {self.run_id} (try {self.try_number}); "
                    f"incident {self.incident_key} is resolved.",
                    *([f"Task instance: {self.ti_url}"] if self.ti_url else []),
                ]
            )
        tries = (
            f"{self.try_number}/{self.max_tries + 1}" if self.max_tries is not None else str(self.try_number)
        )
        lines = [
            self.title,
            f"What: {self.exception_type or 'error'}: {self.message or ''}".rstrip(),
            f"Where: DAG {self.dag_id}, task {self.task_id}"
            + (f"[{self.map_index}]" if self.map_index >= 0 else "")
            + f", run {self.run_id}, try {tries}",
            f"Why errorguard thinks so: {self.category}: {self.reason}"
            + (f" [{self.rule}]" if self.rule else ""),
            f"Why you get this now: {self.why_alert}",
        ]
        if self.learned:
            lines.append(f"History: {self.learned}")
        if self.kind == "reminder":
            lines.append(f"Still failing: {self.since_last} occurrence(s) since the last notification.")
        lines.append(
            f"Occurrences of this fingerprint ({self.fingerprint or '-'}) in the last "
            f"{self.window_hours:g} h: {self.occurrences_in_window}"
        )
        lines.append(f"Records quarantined by this run: {self.quarantined_in_run}")
        if self.circuit is not None:
            probe = self.circuit.next_probe_at.isoformat() if self.circuit.next_probe_at else "-"
            lines.append(f"Circuit {self.circuit.name}: {self.circuit.state}, next probe {probe}")
        lines.append(f"What to do: {self.runbook}")
        if self.ti_url:
            lines.append(f"Task instance: {self.ti_url}")
        if self.errorguard_url:
            lines.append(f"errorguard: {self.errorguard_url}")
        lines.append(f"Incident: {self.incident_key} (dedup key {self.dedup_key})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Structured fields (JSON-friendly) for notifiers that want them (Slack blocks, PagerDuty)."""
        data = asdict(self)
        data["circuit"] = (
            {
                "name": self.circuit.name,
                "state": self.circuit.state,
                "next_probe_at": self.circuit.next_probe_at.isoformat()
                if self.circuit.next_probe_at
                else None,
            }
            if self.circuit
            else None
        )
        data.update(dedup_key=self.dedup_key, title=self.title, runbook=self.runbook, text=self.text())
        return data


def ti_url(base_url: str, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str | None:
    """The task instance page in the Airflow 3 UI (``[api] base_url``)."""
    if not base_url:
        return None
    url = (
        f"{base_url.rstrip('/')}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}/tasks/"
        + quote(task_id, safe="")
    )
    return url + (f"/mapped/{map_index}" if map_index >= 0 else "")


def errorguard_url(base_url: str, dag_id: str, run_id: str, task_id: str) -> str | None:
    """errorguard's view of the task instance (its quarantined records)."""
    if not base_url:
        return None
    query = urlencode({"dag_id": dag_id, "run_id": run_id, "task_id": task_id})
    return f"{base_url.rstrip('/')}/errorguard/quarantine?{query}"
