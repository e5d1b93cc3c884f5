"""Loading of a declarative rules file (YAML or TOML) into validated :class:`Rule` objects."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from airflow_errorguard.classification.rules import RULE_FIELDS, Rule
from airflow_errorguard.exceptions import ErrorGuardConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def load_rules_file(path: str | Path) -> list[Rule]:
    """
    Read rules from *path* (``.yaml``/``.yml`` or ``.toml``).

    The file holds a top-level ``rules`` list; each item takes the keyword arguments of
    :class:`Rule` (durations in ``backoff`` as seconds). Any problem raises
    :class:`ErrorGuardConfigError` naming the file, the rule and the field.
    """
    return rules_from_document(read_document(Path(path)), str(path))


def read_document(file: Path) -> Any:
    """The parsed YAML/TOML document at *file* (errors name the file)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise ErrorGuardConfigError(f"rules file {file}: cannot be read: {err}") from err
    try:
        if file.suffix.lower() == ".toml":
            document: Any = tomllib.loads(text)
        elif file.suffix.lower() in (".yaml", ".yml"):
            document = yaml.safe_load(text)
        else:
            raise ErrorGuardConfigError(f"rules file {file}: expected a .yaml, .yml or .toml file")
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as err:
        raise ErrorGuardConfigError(f"rules file {file}: not valid {file.suffix[1:].upper()}: {err}") from err
    return document


def rules_from_document(document: Any, source: str) -> list[Rule]:
    """Validate a parsed rules document (``{"rules": [...]}``) and build its rules."""
    if document is None:
        return []
    if not isinstance(document, Mapping):
        raise ErrorGuardConfigError(f"rules file {source}: expected a mapping with a 'rules' list")
    unknown = set(document) - {"rules", "version", "circuits"}  # circuits: classify/circuits_file.py
    if unknown:
        raise ErrorGuardConfigError(
            f"rules file {source}: unknown top-level key(s) {sorted(unknown)}; expected 'rules', 'circuits'"
        )
    items = document.get("rules") or []
    if not isinstance(items, list):
        raise ErrorGuardConfigError(f"rules file {source}: 'rules' must be a list")
    rules = []
    for index, item in enumerate(items, start=1):
        label = f"#{index}"
        if not isinstance(item, Mapping):
            raise ErrorGuardConfigError(
                f"rules file {source}, rule {label}: expected a mapping, got {item!r}"
            )
        name = str(item.get("name") or label)
        unknown_fields = [key for key in item if key not in RULE_FIELDS]
        if unknown_fields:
            raise ErrorGuardConfigError(
                f"rules file {source}, rule {name!r}, field {unknown_fields[0]!r}: unknown field; "
                f"allowed: {', '.join(RULE_FIELDS)}"
            )
        if "category" not in item:
            raise ErrorGuardConfigError(f"rules file {source}, rule {name!r}, field 'category': required")
        try:
            rules.append(Rule(**{**item, "name": name, "source": f"rules file {source}"}))
        except TypeError as err:
            raise ErrorGuardConfigError(f"rules file {source}, rule {name!r}: {err}") from err
    return rules
