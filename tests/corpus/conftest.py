"""The live corpus, raised once per session; every server it started is stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.corpus.build import corpus
from tests.corpus.model import Case


@pytest.fixture(scope="session")
def live_corpus() -> Iterator[tuple[list[Case], dict[str, str]]]:
    """``(cases, missing)``: every case raised live now, and the families whose service is missing."""
    with corpus() as built:
        yield built
