"""
The package's layer order, enforced: no module imports from a layer above its own.

Layers, lowest first (a module may import its own layer and any layer below it)::

    0 leaves         constants, exceptions, version, task_context, metrics, backoff
    1 pure core      classification/, breaker/          (no Airflow import at all)
    2 configuration  config_options, settings, configured (options table; reader; what it builds)
    3 storage        storage/                           (errorguard's tables, SQLAlchemy Core)
    4 connection     hooks/, sources/                   (Airflow connections)
    5 circuits       circuits/                          (circuits inside Airflow)
    6 retry          retry/                             (retry policy, in-process retry, learning)
    7 guard          guard/                             (guarded processing engine and store)
    8 alerting       alerts/, listeners/
    9 tasks          operators/, sensors/, triggers/, decorators/, policy (cluster policy)
   10 manage         manage/                            (what the UI and the CLI share; no web code)
   11 interfaces     ui/, cli/, plugins/, the package root, get_provider_info, __main__
                     (ui/ and cli/ never import each other: what they share is in manage/)

Imports are read with ``ast`` from every module, including imports inside functions and under
``TYPE_CHECKING`` (a type-only import still says which way the dependency runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import airflow_errorguard

pytestmark = pytest.mark.unit

PACKAGE = Path(airflow_errorguard.__file__).parent
LAYERS: list[tuple[str, set[str]]] = [
    ("leaves", {"constants", "exceptions", "version", "task_context", "metrics", "backoff", "compat"}),
    ("pure core", {"classification", "breaker"}),
    ("configuration", {"config_options", "settings", "configured"}),
    ("storage", {"storage"}),
    ("connection", {"hooks", "sources"}),
    ("circuits", {"circuits"}),
    ("retry", {"retry"}),
    ("guard", {"guard"}),
    ("alerting", {"alerts", "listeners"}),
    ("tasks", {"operators", "sensors", "triggers", "decorators", "policy"}),
    ("manage", {"manage"}),
    ("interfaces", {"ui", "cli", "plugins", "monitoring", "__init__", "get_provider_info", "__main__"}),
]
KNOWN = {unit for _, units in LAYERS for unit in units}
#: Units of one layer that must not import each other (the CLI and the UI share ``manage/``).
APART = {frozenset(("ui", "cli"))}
#: Layers whose modules must not import Airflow (nor anything that does).
PURE = {"leaves", "pure core"}
#: Leaves that reach Airflow lazily, inside a function, on purpose (Stats is optional at runtime).
AIRFLOW_ALLOWED_IN_LEAF = {"metrics", "compat"}


def _unit(module: str) -> str:
    """The top-level unit (package or module) of ``airflow_errorguard.<module>``."""
    return module.split(".")[1] if "." in module else "__init__"


def _layer(unit: str) -> int:
    for index, (_, units) in enumerate(LAYERS):
        if unit in units:
            return index
    raise AssertionError(f"airflow_errorguard.{unit} is in no layer: add it to LAYERS in {__file__}")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if "migrations" in parts:  # alembic scripts: run by the migration runner, import nothing of ours
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join(parts), path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """``(line, imported module)`` of every import in *path*, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            if name == "airflow_errorguard":  # from airflow_errorguard import metrics
                out.extend((node.lineno, f"airflow_errorguard.{alias.name}") for alias in node.names)
    return out


def upward_imports() -> list[str]:
    """Every import that runs against the layer order, as ``file:line: a -> b`` lines."""
    bad = []
    for module, path in _modules():
        unit = _unit(module)
        here = _layer(unit)
        for line, name in _imports(module, path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            if name.startswith("airflow_errorguard."):
                target = _unit(name)
                there = _layer(target) if target in KNOWN else here
                if there > here or frozenset((unit, target)) in APART:
                    bad.append(f"{where}: {unit} ({LAYERS[here][0]}) -> {target} ({LAYERS[there][0]})")
            elif (
                (name == "airflow" or name.startswith("airflow."))
                and LAYERS[here][0] in PURE
                and unit not in AIRFLOW_ALLOWED_IN_LEAF
            ):
                bad.append(f"{where}: {unit} ({LAYERS[here][0]}) imports Airflow ({name})")
    return bad


def test_every_unit_of_the_package_has_a_layer() -> None:
    for module, _ in _modules():
        _layer(_unit(module))


def test_no_import_runs_against_the_layer_order() -> None:
    bad = upward_imports()
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: a function-level import from storage into ui is reported."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from airflow_errorguard.ui import app\n")
    assert _imports("airflow_errorguard.storage.probe", source) == [(2, "airflow_errorguard.ui")]
    assert _layer("ui") > _layer("storage")
    assert frozenset(("cli", "ui")) in APART


if __name__ == "__main__":
    print("\n".join(upward_imports()))
