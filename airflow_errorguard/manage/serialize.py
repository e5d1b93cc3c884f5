"""Rows and audit entries as JSON-ready dicts (the API's and the exports' shape)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from airflow_errorguard.storage.audit import AuditEntry
from airflow_errorguard.storage.quarantine_types import QuarantineRow

#: Columns of the CSV export, in order.
EXPORT_COLUMNS = (
    "id",
    "dag_id",
    "task_id",
    "run_id",
    "map_index",
    "try_number",
    "record_key",
    "status",
    "error_category",
    "error_type",
    "error_message",
    "fingerprint",
    "reason",
    "created_at",
    "updated_at",
    "resolved_at",
    "resolved_by",
    "note",
    "seen_count",
    "last_seen_run_id",
    "last_seen_at",
    "payload_truncated",
    "payload",
)


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def row_dict(row: QuarantineRow, *, with_payload: bool = False) -> dict[str, Any]:
    """A quarantine row; ``payload`` decoded from JSON and ``traceback`` only *with_payload*."""
    data = {k: _value(v) for k, v in asdict(row).items() if k not in ("payload", "traceback")}
    if with_payload:
        data["payload"] = payload_value(row)
        data["traceback"] = row.traceback
    return data


def payload_value(row: QuarantineRow) -> Any:
    """The stored payload as a Python value (the raw text if it is not valid JSON)."""
    if row.payload is None:
        return None
    try:
        return json.loads(row.payload)
    except ValueError:
        return row.payload


def pretty_payload(row: QuarantineRow) -> str:
    """The payload indented for reading (escaped by the template, never trusted as HTML)."""
    value = payload_value(row)
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def audit_dict(entry: AuditEntry) -> dict[str, Any]:
    return {k: _value(v) for k, v in asdict(entry).items()}


def task_instance_path(row: QuarantineRow) -> str:
    """Path of the record's task instance in the Airflow UI."""
    from airflow_errorguard.manage.links import ti_path

    return ti_path(row.dag_id, row.run_id, row.task_id, row.map_index)
