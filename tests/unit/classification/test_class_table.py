"""Compiled per-class decision tables: a never-seen lone exception decided by its class and codes."""

from __future__ import annotations

from typing import Any

import pymysql.err
from hypothesis import given
from hypothesis import strategies as st

from airflow_errorguard.classification import class_table
from airflow_errorguard.classification.cached_decision import QuickHit
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.rules import Rule
from tests.unit.classification.test_fuzz import FUZZ
from tests.unit.classification.test_quick_key import twins


def _same_cold(exc: BaseException) -> Any:
    """The verdict with the verdict cache cleared first (a failure never seen) equals an uncached one."""
    cached, uncached = Classifier(), Classifier(cache_size=0)
    cached.cache.clear()
    got, want = cached.classify(exc), uncached.classify(exc)
    assert got == want
    assert got.fingerprint == want.fingerprint
    return cached


@FUZZ
@given(pair=twins())
def test_a_compiled_verdict_equals_an_uncached_classification(pair: Any) -> None:
    first, second = pair
    for exc in (first[0], second[0], first[0]):
        _same_cold(exc)


def test_a_never_seen_lone_exception_is_a_table_lookup_and_its_verdict_is_built_when_read() -> None:
    classifier = Classifier()
    classifier.classify(KeyError("customer_id"))  # compiles KeyError (and is served by it)
    classifier.cache.clear()
    found = classifier.resolve(KeyError("order_id"))
    assert isinstance(found, QuickHit) and found._verdict is None
    assert found.decision.verdict.category.value == "data"
    assert found.verdict == Classifier(cache_size=0).classify(KeyError("order_id"))
    assert classifier.cache.table_hits == 2 and classifier.cache.hits == 0


def test_codes_are_part_of_the_compiled_key() -> None:
    for code in (1213, 1045, 2003, 1213, 1062):
        cached = _same_cold(pymysql.err.OperationalError(code, "server said no"))
        assert cached.cache.table_hits == 1


def test_message_patterns_are_read_on_every_exception() -> None:
    for message in (
        "could not convert string to float: 'abc'",
        "invalid literal for int() with base 10: 'x'",
        "nothing a pattern knows",
        "could not convert string to float: 'abc'",
    ):
        _same_cold(ValueError(message))


def test_a_tls_failure_or_an_unknown_host_in_the_message_overrides_a_compiled_transient_verdict() -> None:
    assert _same_cold(ConnectionResetError(104, "Connection reset by peer")).cache.table_hits == 1
    tls = ConnectionResetError(104, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    cached = _same_cold(tls)
    assert cached.classify(tls).category.value == "configuration" and cached.cache.table_hits == 0
    host = ConnectionRefusedError(111, "Name or service not known")
    assert _same_cold(host).classify(host).category.value == "configuration"


def test_a_repeated_message_verdict_is_filed_under_its_quick_key() -> None:
    classifier = Classifier()
    for _ in range(3):
        classifier.classify(ValueError("could not convert string to float: 'abc'"))
    assert classifier.cache.quick_hits == 1  # third sighting: its message compared, not scanned


def test_classifiers_with_rules_or_plugins_do_not_use_the_table() -> None:
    ruled = Classifier(rules=[Rule(name="unrelated", category="data", exception=UnicodeError)])
    plugged = Classifier(plugins=[lambda exc: None])
    for classifier in (ruled, plugged):
        classifier.classify(KeyError("a"))
        classifier.classify(KeyError("b"))
        assert classifier.cache.table_hits == 0


@given(st.sampled_from([KeyError, ValueError, TimeoutError, MemoryError, ConnectionResetError]))
def test_rules_or_plugins_set_later_stop_the_table(cls: type[BaseException]) -> None:
    """The compiled-table condition is kept by the setters: a rule or plugin given after the class
    was compiled and its repeats were served decides the next exception, as uncached."""
    rule = Rule(name="later", category="configuration", exception=cls)
    ruled, plugged = Classifier(), Classifier()
    for classifier in (ruled, plugged):
        for message in ("a", "b", "a"):  # compiled, then served by the table and the quick key
            classifier.classify(cls(message))
        assert classifier.cache.table_hits
    ruled.rules = [rule]
    plugged.plugins = [Classifier(rules=[rule], cache_size=0).classify]
    want = Classifier(rules=[rule], cache_size=0).classify(cls("c"))
    assert want.rule == "user:later"
    for classifier in (ruled, plugged):
        hits = classifier.cache.table_hits
        got = classifier.classify(cls("c"))
        assert got == want
        assert got.fingerprint == want.fingerprint
        assert classifier.cache.table_hits == hits
    ruled.rules = []
    assert ruled.classify(cls("c")) == Classifier(cache_size=0).classify(cls("c"))


@given(st.sampled_from([KeyError, ValueError, TimeoutError, MemoryError, ConnectionResetError]))
def test_clearing_the_table_changes_nothing(cls: type[BaseException]) -> None:
    before = Classifier().classify(cls("x"))
    class_table.clear()
    assert Classifier().classify(cls("x")) == before


def test_an_entry_does_not_keep_the_exception_it_was_compiled_on() -> None:
    import gc
    import weakref

    class Compiled(LookupError):
        """A class of its own: its entry is compiled here."""

    exc = Compiled("first")
    ref = weakref.ref(exc)
    _same_cold(exc)
    del exc
    gc.collect()
    assert ref() is None
    _same_cold(Compiled("second"))
