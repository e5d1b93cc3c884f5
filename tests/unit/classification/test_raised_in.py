"""
The ``raised_in`` fact: the same parse or validation error class is configuration when a settings
loader raised it and keeps its own verdict otherwise, and the verdict cache (chain key, quick key,
compiled tables) never serves one for the other.
"""

from __future__ import annotations

import gc
import json
import os
import weakref
from collections.abc import Callable
from typing import Any
from unittest import mock

import dotenv
import pydantic
import pydantic_settings as ps
import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_errorguard.classification import raised_in as raised_in_module
from airflow_errorguard.classification.class_plan import class_plan
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.raised_in import MAX_FRAMES, raised_in
from tests.unit.classification.test_fuzz import FUZZ
from tests.unit.helpers import assert_cached_equals_uncached, raised

pytestmark = pytest.mark.unit

C, D = ErrorCategory.CONFIGURATION, ErrorCategory.DATA


class Record(pydantic.BaseModel):
    port: int


def _settings_class() -> type[ps.BaseSettings]:
    class Record(ps.BaseSettings):  # the same title as the record model: the same message
        model_config = ps.SettingsConfigDict(env_prefix="EGTEST_RAISED_IN_")
        port: int

    return Record


SETTINGS = _settings_class()


def record_error() -> BaseException:
    return raised(lambda: Record(port="five"))  # type: ignore[arg-type]


def settings_error() -> BaseException:
    with mock.patch.dict(os.environ, {"EGTEST_RAISED_IN_PORT": "five"}):
        return raised(SETTINGS)


def _in_module(module: str, source: str) -> dict[str, Any]:
    """Functions whose frames belong to *module* (a loader or machinery stand-in: real frames)."""
    namespace: dict[str, Any] = {"__name__": module}
    exec(compile(source, f"<{module}>", "exec"), namespace)
    return namespace


# An entry point that runs the user's code (as hydra's @main does), and a loader parsing itself.
_HYDRA = _in_module("hydra._internal.utils", "def run_and_report(fn):\n    return fn()\n")
_OMEGACONF = _in_module("omegaconf.omegaconf", "import json\ndef load(text):\n    return json.loads(text)\n")
_DOTENV = _in_module("dotenv.main", "def load(fn, *args):\n    return fn(*args)\n")
_DEEP = _in_module(  # the parsing machinery, many frames deep
    "json.deep",
    "import json\ndef parse(n, text):\n    return json.loads(text) if n == 0 else parse(n - 1, text)\n",
)


def test_the_same_class_and_message_get_the_verdict_of_who_raised_them() -> None:
    record, settings = record_error(), settings_error()
    assert type(record) is type(settings) and str(record) == str(settings)
    assert raised_in(record) is None and raised_in(settings) == "pydantic_settings"
    verdict = Classifier(cache_size=0).classify(settings)
    assert verdict.category is C
    assert "pydantic-settings" in verdict.reason and verdict.signals["raised_in"] == "pydantic_settings"
    assert Classifier(cache_size=0).classify(record).category is D


def test_alternating_record_and_settings_errors_with_the_cache_warm() -> None:
    cached, uncached = Classifier(), Classifier(cache_size=0)
    for _ in range(4):
        for make, want in ((record_error, D), (settings_error, C)):
            exc = make()
            got, expected = cached.classify(exc), uncached.classify(exc)
            assert got == expected and got.fingerprint == expected.fingerprint
            assert got.category is want
    assert cached.cache.hits >= 6, "both verdicts were served from the cache, each to its own"
    assert cached.cache.quick_hits == 0
    assert cached.cache.seen[type(record_error())] is False, "no quick key: it never reads the traceback"
    assert not class_plan(type(record_error())).quick


MAKERS: list[tuple[Callable[[], BaseException], ErrorCategory]] = [
    (record_error, D),
    (settings_error, C),
    (lambda: raised(lambda: json.loads("{")), D),
    (lambda: raised(lambda: _OMEGACONF["load"]("{")), C),
    (lambda: raised(lambda: _DOTENV["load"](json.loads, "{")), C),
    (lambda: raised(lambda: _HYDRA["run_and_report"](lambda: Record(port="five"))), D),
    (lambda: raised(b"\xff".decode), D),
    (lambda: raised(lambda: _DOTENV["load"](bytes.decode, b"\xff")), C),
]


@FUZZ
@given(order=st.lists(st.sampled_from(range(len(MAKERS))), min_size=1, max_size=12))
def test_cached_equals_uncached_whoever_raised_it(order: list[int]) -> None:
    assert_cached_equals_uncached(MAKERS, order)


def test_a_user_frame_inside_a_loader_entry_point_means_no_loader() -> None:
    exc = raised(lambda: _HYDRA["run_and_report"](lambda: Record(port="five")))
    assert raised_in(exc) is None
    assert raised_in(raised(lambda: _OMEGACONF["load"]("{"))) == "omegaconf"


def test_python_dotenv_reading_a_file_in_another_encoding(tmp_path: Any) -> None:
    (tmp_path / "bad.env").write_bytes(b"A=\xff\n")
    exc = raised(lambda: dotenv.dotenv_values(tmp_path / "bad.env", encoding="utf-8"))
    assert isinstance(exc, UnicodeDecodeError) and raised_in(exc) == "dotenv"
    assert Classifier().classify(exc).category is C


def test_the_walk_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    near = raised(lambda: _DOTENV["load"](_DEEP["parse"], 5, "{"))
    far = raised(lambda: _DOTENV["load"](_DEEP["parse"], MAX_FRAMES, "{"))
    assert raised_in(near) == "dotenv"
    assert raised_in(far) is None, "the loader is beyond the innermost MAX_FRAMES frames"
    monkeypatch.setattr(raised_in_module, "MAX_LINKS", 4)
    assert raised_in(near) is None, "a traceback longer than MAX_LINKS links is not read"


def test_hostile_frames_and_exceptions_never_break_it() -> None:
    nameless = _in_module("x", "import json\ndef load():\n    return json.loads('{')\n")
    nameless["__name__"] = 42
    assert raised_in(raised(nameless["load"])) is None

    class Hostile(json.JSONDecodeError):
        def __getattribute__(self, name: str) -> Any:
            raise RuntimeError(name)

    exc = Hostile("x", "{", 0)
    assert raised_in(exc) is None
    assert Classifier().classify(exc).category is not None


def test_the_cache_keeps_no_frame_of_a_settings_error() -> None:
    class Marker:
        pass

    def load() -> None:
        marker = Marker()  # a local of a frame the traceback holds
        alive.append(weakref.ref(marker))
        with mock.patch.dict(os.environ, {"EGTEST_RAISED_IN_PORT": "five"}):
            SETTINGS()

    alive: list[weakref.ref[Marker]] = []
    classifier = Classifier()
    for _ in range(3):
        exc = raised(load)
        assert classifier.classify(exc).category is C
        del exc
    gc.collect()
    assert alive and all(ref() is None for ref in alive)


def test_a_variable_whose_json_does_not_parse() -> None:
    context = pytest.importorskip("airflow.sdk.execution_time.context")
    deserialize = getattr(context, "_mask_and_deserialize_variable", None)
    if deserialize is None:
        pytest.skip("this Airflow deserialises Variables elsewhere")
    exc = raised(lambda: deserialize('{"a": 1,}', "etl_settings", True))
    assert raised_in(exc) == "airflow.variable"
    verdict = Classifier().classify(exc)
    assert verdict.category is C and "Airflow Variable" in verdict.reason
