"""
Who raised an exception whose meaning depends on it: the ``raised_in`` fact.

pydantic's ``ValidationError``, ``json.JSONDecodeError``, ``tomllib.TOMLDecodeError``,
``UnicodeDecodeError`` and yaml's ``YAMLError`` family say "this text or value does not parse or
validate". Raised on a record they are data; raised while a deployment's settings load
(pydantic-settings validating the environment, python-dotenv reading a ``.env`` file, Airflow
reading its configuration or a JSON Variable) they are configuration. No class, code or message
tells the two apart; the traceback does.

:func:`raised_in` reads the traceback of such an exception, innermost frame first, skipping the
parsing machinery itself (pydantic, json, tomllib, yaml, codecs...), and names the settings loader
when the first frame beyond it belongs to one. A user's own frame there (a record model validated
in a task, even one that a hydra or Airflow entry point runs) means no loader.

The walk is bounded (:data:`MAX_LINKS` traceback links, the innermost :data:`MAX_FRAMES` of them
examined), reads only module and function names, keeps no frame and never raises. It runs only for
the classes of :data:`LOADER_SENSITIVE` (see :attr:`.class_plan.ClassPlan.loader_sensitive`).
"""

from __future__ import annotations

from collections import deque
from types import TracebackType

from airflow_errorguard.classification.module_owner import owning_module

#: Classes (a dotted path anywhere in the MRO) whose verdict depends on who raised them.
LOADER_SENSITIVE = frozenset(
    {
        "pydantic_core._pydantic_core.ValidationError",
        "json.decoder.JSONDecodeError",
        "tomllib.TOMLDecodeError",
        "tomli._parser.TOMLDecodeError",
        "UnicodeDecodeError",
        "yaml.error.YAMLError",
        "ruamel.yaml.error.YAMLError",
    }
)

#: Top-level packages of the parsing machinery that raises those classes (and generic helpers it
#: runs through): skipped on the way out from the innermost frame.
MACHINERY = frozenset(
    {
        "pydantic",
        "pydantic_core",
        "json",
        "simplejson",
        "tomllib",
        "tomli",
        "yaml",
        "_yaml",
        "ruamel",
        "codecs",
        "encodings",
        "io",
        "_io",
        "contextlib",
        "functools",
        "typing",
        "typing_extensions",
    }
)

#: Settings loaders by module (the module or a submodule of it) -> the ``raised_in`` fact.
LOADER_MODULES: dict[str, str] = {
    "pydantic_settings": "pydantic_settings",
    "dotenv": "dotenv",
    "configparser": "configparser",
    "airflow.configuration": "airflow.configuration",
    "airflow._shared.configuration": "airflow.configuration",
    "airflow.sdk.configuration": "airflow.configuration",
    "airflow.sdk._shared.configuration": "airflow.configuration",
    "dynaconf": "dynaconf",
    "omegaconf": "omegaconf",
    "hydra": "hydra",
    "environs": "environs",
    "decouple": "decouple",
}
#: Settings loaders by ``(module, function)``, in modules that do other things too.
LOADER_FUNCTIONS: dict[tuple[str, str], str] = {
    ("airflow.sdk.execution_time.context", "_mask_and_deserialize_variable"): "airflow.variable",
    ("airflow.sdk.execution_time.context", "_convert_variable_result_to_variable"): "airflow.variable",
    ("airflow.sdk.execution_time.context", "_get_variable"): "airflow.variable",
    ("airflow.sdk.definitions.variable", "get"): "airflow.variable",
    ("airflow.models.variable", "get"): "airflow.variable",
}
#: How a reason says where a loader's error came from (default: ``while <loader> loaded the settings``).
WHILE: dict[str, str] = {
    "pydantic_settings": "while pydantic-settings loaded the settings",
    "dotenv": "while python-dotenv read a .env file",
    "airflow.configuration": "while Airflow read its configuration",
    "airflow.variable": "while an Airflow Variable's JSON value was read",
    "decouple": "while python-decouple loaded the settings",
}
_MODULES_OF_FUNCTIONS = frozenset(module for module, _ in LOADER_FUNCTIONS)

#: Traceback links followed at most (a longer traceback has no ``raised_in``).
MAX_LINKS = 1024
#: Innermost frames examined at most.
MAX_FRAMES = 64


def raised_in(exc: BaseException) -> str | None:
    """The settings loader that raised *exc* (its innermost frame beyond the parsing machinery), or
    ``None``. Never raises."""
    try:
        tb = exc.__traceback__
        if type(tb) is not TracebackType:
            return None
        recent: deque[TracebackType] = deque(maxlen=MAX_FRAMES)
        links = 0
        while tb is not None:
            links += 1
            if links > MAX_LINKS:
                return None
            recent.append(tb)
            tb = tb.tb_next
        for link in reversed(recent):
            frame = link.tb_frame
            name = frame.f_globals.get("__name__")
            if type(name) is not str:
                return None
            if name.partition(".")[0] in MACHINERY:
                continue
            return loader_of(name, frame.f_code.co_name)
        return None
    except BaseException:  # a hostile frame's globals: no fact rather than a broken classification
        return None


def loader_of(module: str, function: str) -> str | None:
    """The settings loader that *function* of *module* belongs to, or ``None``."""
    if module in _MODULES_OF_FUNCTIONS:
        return LOADER_FUNCTIONS.get((module, function))
    owner = owning_module(module, LOADER_MODULES)
    return None if owner is None else LOADER_MODULES[owner]


def while_loading(loader: str) -> str:
    """Where an error raised by *loader* came from, for a reason."""
    return WHILE.get(loader) or f"while {loader} loaded the settings"


__all__ = [
    "LOADER_FUNCTIONS",
    "LOADER_MODULES",
    "LOADER_SENSITIVE",
    "MACHINERY",
    "MAX_FRAMES",
    "MAX_LINKS",
    "WHILE",
    "loader_of",
    "raised_in",
    "while_loading",
]
