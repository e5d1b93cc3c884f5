"""Streamed CSV and JSON Lines exports of a filtered quarantine."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from airflow_errorguard.manage.serialize import EXPORT_COLUMNS, row_dict
from airflow_errorguard.storage.quarantine_types import QuarantineRow

#: Spreadsheet formula prefixes neutralised in CSV cells (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return "" if value is None else value


def csv_lines(rows: Iterable[QuarantineRow]) -> Iterator[str]:
    """A header line, then one CSV line per row (payload as compact JSON)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    for row in rows:
        data = row_dict(row, with_payload=True)
        data["payload"] = row.payload
        writer.writerow([_cell(data.get(column)) for column in EXPORT_COLUMNS])
        yield flush()


def jsonl_lines(rows: Iterable[QuarantineRow]) -> Iterator[str]:
    """One JSON object per line and row, with payload and traceback."""
    for row in rows:
        yield json.dumps(row_dict(row, with_payload=True), ensure_ascii=False, default=str) + "\n"
