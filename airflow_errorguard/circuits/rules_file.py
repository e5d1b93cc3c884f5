"""The ``circuits:`` section of the rules file: per-circuit overrides of the ``[errorguard]`` defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow_errorguard.breaker.config import Circuit
from airflow_errorguard.classification.rules_file import read_document
from airflow_errorguard.exceptions import ErrorGuardConfigError

CIRCUIT_FIELDS = tuple(f.name for f in fields(Circuit) if f.name != "name")


def load_circuit_overrides(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read the ``circuits:`` section of the rules file at *path* (``{}`` when it has none)."""
    return circuits_from_document(read_document(Path(path)), str(path))


def circuits_from_document(document: Any, source: str) -> dict[str, dict[str, Any]]:
    """
    Validate a parsed ``circuits:`` section: a mapping of circuit name to fields, or a list of
    mappings with a ``name``. Durations are seconds. Each circuit is built once to validate it.

    :raises ErrorGuardConfigError: naming the file, the circuit and the field.
    """
    if not isinstance(document, Mapping):
        return {}
    section = document.get("circuits")
    if section is None:
        return {}
    if isinstance(section, list):
        items = []
        for index, item in enumerate(section, start=1):
            if not isinstance(item, Mapping) or "name" not in item:
                raise ErrorGuardConfigError(
                    f"rules file {source}, circuit #{index}: expected a mapping with a 'name', got {item!r}"
                )
            items.append((str(item["name"]), {k: v for k, v in item.items() if k != "name"}))
    elif isinstance(section, Mapping):
        items = [(str(name), value) for name, value in section.items()]
    else:
        raise ErrorGuardConfigError(f"rules file {source}: 'circuits' must be a mapping or a list")
    circuits: dict[str, dict[str, Any]] = {}
    for name, values in items:
        if not isinstance(values, Mapping):
            raise ErrorGuardConfigError(
                f"rules file {source}, circuit {name!r}: expected a mapping of fields"
            )
        unknown = [key for key in values if key not in CIRCUIT_FIELDS]
        if unknown:
            raise ErrorGuardConfigError(
                f"rules file {source}, circuit {name!r}, field {unknown[0]!r}: unknown field; "
                f"allowed: {', '.join(CIRCUIT_FIELDS)}"
            )
        entry = dict(values)
        if isinstance(entry.get("counted_categories"), list):
            entry["counted_categories"] = tuple(entry["counted_categories"])
        for key in ("open_duration", "max_open_duration"):
            if isinstance(entry.get(key), (int, float)) and not isinstance(entry.get(key), bool):
                entry[key] = timedelta(seconds=entry[key])
        try:
            Circuit(name, **entry)
        except ErrorGuardConfigError as err:
            raise ErrorGuardConfigError(f"rules file {source}: {err}") from err
        circuits[name] = entry
    return circuits
