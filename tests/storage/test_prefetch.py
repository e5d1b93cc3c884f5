"""The background-thread prefetcher used by the PostgreSQL bulk path."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from airflow_errorguard.storage.prefetch import prefetch

pytestmark = pytest.mark.unit


def test_yields_everything_in_order() -> None:
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))
    assert list(prefetch([])) == []


def test_producer_errors_reach_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise KeyError("encoding failed")

    consumed = []
    with pytest.raises(KeyError, match="encoding failed"):
        for value in prefetch(broken()):
            consumed.append(value)
    assert consumed == [1]


def test_closing_early_stops_the_thread() -> None:
    produced = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    before = threading.active_count()
    stream = prefetch(endless(), depth=2, name="eg-test-prefetch")
    assert next(stream) == 0
    stream.close()  # e.g. the database failed while inserting chunk 0
    assert threading.active_count() == before
    assert len(produced) <= 5  # bounded look-ahead, not an endless run
