"""
The ``call_site`` fact: a plain ``ValueError``/``TypeError``/``KeyError``/``binascii.Error`` is
configuration when a client library's settings-reading call site raised it and keeps its data
verdict when record code did; the verdict cache (quick key, chain key, compiled tables, the by-shape
memo) never serves one for the other, and a user-code ``ValueError`` keeps its quick key.
"""

from __future__ import annotations

import binascii
import datetime
import gc
import logging.config
import urllib.parse
import weakref
from collections.abc import Callable
from typing import Any

import asyncpg.connect_utils
import kombu.transport
import pytest
import redis.connection
from hypothesis import given
from hypothesis import strategies as st
from nacl.encoding import HexEncoder
from nacl.signing import VerifyKey

from airflow_errorguard.classification import call_site as call_site_module
from airflow_errorguard.classification import class_table, object_table
from airflow_errorguard.classification.call_site import call_site
from airflow_errorguard.classification.class_plan import class_plan
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from airflow_errorguard.classification.verdict_cache import FACT_SLOTS
from airflow_errorguard.classification.verdict_shapes import VerdictMemo
from tests.unit.classification.test_fuzz import FUZZ
from tests.unit.helpers import assert_cached_equals_uncached, raised

pytestmark = pytest.mark.unit

C, D = ErrorCategory.CONFIGURATION, ErrorCategory.DATA


def _unknown_transport() -> None:  # user code raising what kombu raises, word for word
    raise KeyError("No such transport: rabbit-mq.  Did you mean librabbitmq?")


HEX = b"zz" * 16
#: (call site, record code) raising the same class with the same message.
PAIRS: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("asyncpg DSN port", lambda: asyncpg.connect_utils._parse_hostlist("db:abc", None), lambda: int("abc")),
    ("redis connection port", lambda: redis.connection.Connection(port=None), lambda: int(None)),  # type: ignore[arg-type]
    ("NaCl hex key", lambda: VerifyKey(HEX, encoder=HexEncoder), lambda: binascii.unhexlify(HEX)),
    ("kombu transport", lambda: kombu.transport.resolve_transport("rabbit-mq"), _unknown_transport),
]


@pytest.mark.parametrize(("name", "site", "record"), PAIRS, ids=[p[0] for p in PAIRS])
def test_the_same_class_and_message_get_the_verdict_of_where_they_were_raised(
    name: str, site: Callable[[], Any], record: Callable[[], Any]
) -> None:
    at_site, on_record = raised(site), raised(record)
    assert type(at_site) is type(on_record) and str(at_site) == str(on_record), name
    assert call_site(on_record) is None and call_site(at_site) is not None
    verdict = Classifier(cache_size=0).classify(at_site)
    assert verdict.category is C and verdict.rule.startswith("builtin:call-site:")
    assert verdict.signals["call_site"] == call_site(at_site)
    assert Classifier(cache_size=0).classify(on_record).category is D


RECORD_CODE: list[Callable[[], Any]] = [
    lambda: int("abc"),
    lambda: datetime.datetime.strptime("31/02/2024", "%d/%m/%Y"),
    lambda: float("1,5"),
    lambda: {"id": 1}["name"],
    lambda: "total: " + 3,  # type: ignore[operator]
    lambda: binascii.a2b_base64(b"abc"),
    lambda: VerifyKey(bytes(32)).verify(HEX, encoder=HexEncoder),  # a signed message, not the key
]


@pytest.mark.parametrize("raiser", RECORD_CODE)
def test_record_code_keeps_its_verdict(raiser: Callable[[], Any]) -> None:
    exc = raised(raiser)
    assert class_plan(type(exc)).call_site_sensitive
    assert call_site(exc) is None
    assert Classifier(cache_size=0).classify(exc).category is D


def test_machinery_is_skipped_up_to_the_caller() -> None:
    exc = raised(lambda: urllib.parse.urlsplit("https://host:x/").port)  # urllib.parse, then us
    assert call_site(exc) is None
    assert not Classifier(cache_size=0).classify(exc).rule.startswith("builtin:call-site:")


def test_settings_readers_without_a_pair() -> None:
    exc = raised(lambda: logging.config.dictConfig({"version": 2}))
    assert type(exc) is ValueError and call_site(exc) == (
        "logging.config:logging.config.DictConfigurator.configure"
    )
    assert Classifier().classify(exc).category is C


MAKERS: list[tuple[Callable[[], BaseException], ErrorCategory]] = [
    (lambda maker=maker: raised(maker), want)  # type: ignore[misc]
    for _, site, record in PAIRS
    for maker, want in ((site, C), (record, D))
]


def test_a_user_code_value_error_keeps_its_quick_key() -> None:
    plan = class_plan(ValueError)
    assert plan.quick and plan.call_site_sensitive and not plan.loader_sensitive
    classifier = Classifier()
    for _ in range(3):
        classifier.classify(raised(lambda: int("abc")))
    assert classifier.cache.quick_hits >= 1


@FUZZ
@given(order=st.lists(st.sampled_from(range(len(MAKERS))), min_size=1, max_size=12))
def test_cached_equals_uncached_wherever_it_was_raised(order: list[int]) -> None:
    """Fails if the fact is dropped from the quick key or the compiled class tables' key."""
    assert_cached_equals_uncached(MAKERS, order)


def test_alternating_through_the_quick_key_and_the_compiled_table() -> None:
    class_table.clear()
    cached = Classifier()
    for _ in range(3):
        for make, want in MAKERS:
            assert cached.classify(make()).category is want
    served = cached.cache.quick_hits + cached.cache.table_hits
    assert served >= 2 * len(MAKERS), "served by the quick key or the compiled table, each to its own"


def _wrapped(fn: Callable[[], Any]) -> BaseException:
    """*fn*'s error as the cause of an error holding a dict: no quick key, the chain key decides."""

    def wrap() -> None:
        try:
            fn()
        except Exception as exc:
            raise RuntimeError({"step": "connect"}) from exc

    return raised(wrap)


def test_alternating_through_the_chain_key() -> None:
    """Fails if the fact is dropped from the chain key (a ``LinkFacts`` slot)."""
    assert "call_site" in FACT_SLOTS
    object_table.clear()
    cached, uncached = Classifier(), Classifier(cache_size=0)
    site, record = PAIRS[0][1], PAIRS[0][2]
    for _ in range(3):
        for fn, want in ((record, D), (site, C)):
            exc = _wrapped(fn)
            got, expected = cached.classify(exc), uncached.classify(exc)
            assert got == expected and got.category is want
    assert cached.cache.hits >= 4 and cached.cache.quick_hits == 0


def test_the_by_shape_memo_keeps_them_apart() -> None:
    """Fails if the fact is dropped from the memo's key (the quick key's signature)."""
    memo = VerdictMemo(Classifier())
    site, record = PAIRS[0][1], PAIRS[0][2]
    for _ in range(3):
        for fn, want in ((record, D), (site, C)):
            exc = raised(fn)
            assert memo.classify(exc).category is want
            assert memo.classify(exc) == Classifier(cache_size=0).classify(exc)
    assert memo.hits >= 2


def test_frames_beyond_the_bound_and_hostile_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    site = PAIRS[0][1]

    def deep(n: int) -> None:
        return site() if n == 0 else deep(n - 1)

    near = raised(site)
    assert call_site(near) is not None
    monkeypatch.setattr(call_site_module, "MAX_LINKS", 1)
    assert call_site(near) is None, "a traceback longer than MAX_LINKS links is not read"
    monkeypatch.undo()
    far = raised(lambda: deep(3))
    assert call_site(far) is not None, "the call site is innermost: user frames outside it do not matter"

    class Hostile(ValueError):
        @property
        def __traceback__(self) -> Any:  # type: ignore[override]
            raise RuntimeError("no")

    assert call_site(Hostile("x")) is None


def test_the_cache_keeps_no_frame_of_a_call_site_error() -> None:
    class Marker:
        pass

    def connect() -> None:
        marker = Marker()  # a local of a frame the traceback holds
        alive.append(weakref.ref(marker))
        redis.connection.Connection(port=None)  # type: ignore[arg-type]

    alive: list[weakref.ref[Marker]] = []
    classifier = Classifier()
    for _ in range(3):
        exc = raised(connect)
        assert classifier.classify(exc).category is C
        del exc
    gc.collect()
    assert alive and all(ref() is None for ref in alive)


def test_one_code_object_under_two_modules_is_remembered_per_module() -> None:
    """The frame memo is keyed by code object *and* globals: the same code run as a library's call
    site and as a user's function gets each its own fact."""
    code = compile(
        "def resolve_transport(name):\n    return {}[name]\n", "<shared>", "exec"
    )  # one code object for both functions
    library: dict[str, Any] = {"__name__": "kombu.transport"}
    user: dict[str, Any] = {"__name__": "etl.tasks"}
    exec(code, library)
    exec(code, user)
    assert library["resolve_transport"].__code__ is user["resolve_transport"].__code__
    for _ in range(2):
        at_site = raised(lambda: library["resolve_transport"]("amqp"))
        on_record = raised(lambda: user["resolve_transport"]("amqp"))
        assert call_site(at_site) == "kombu:kombu.transport.resolve_transport"
        assert call_site(on_record) is None
