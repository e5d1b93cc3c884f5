"""
Fuzzing the UI/API quarantine filters: any query string either becomes a validated filter or a
``FilterError`` (a 400), and a validated filter runs as bound parameters against a real SQLite
table without error, leaking rows or touching anything else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from airflow_errorguard.manage.filters import (
    FILTER_KEYS,
    FilterError,
    QuarantineQuery,
    parse_cursor,
    parse_limit,
)
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import dispose_engines, get_engine
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository

pytestmark = pytest.mark.unit

HOSTILE = st.sampled_from(
    [
        "'; DROP TABLE errorguard_quarantine; --",
        "%",
        "_",
        "\\",
        "\x00",
        "' OR '1'='1",
        "<script>alert(1)</script>",
        "2026-13-45",
        "9999-12-31T23:59:59+14:00",
        "0001-01-01",
        "quarantined,released",
        "quarantined,bogus",
        "🙂" * 3,
        "x" * 501,
    ]
)
VALUES = st.one_of(
    st.none(), st.text(max_size=40), HOSTILE, st.integers(), st.lists(st.text(max_size=10), max_size=3)
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'eg.db'}"
    upgrade(url)
    yield Database(get_engine(url), conn_id="fuzz")
    dispose_engines()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.dictionaries(st.sampled_from([*FILTER_KEYS, "limit", "after"]), VALUES, max_size=6))
def test_any_query_string_is_a_filter_or_a_clear_400(db: Database, raw: dict[str, object]) -> None:
    repo = QuarantineRepository(db)
    try:
        query = QuarantineQuery.parse(raw)
        limit = parse_limit(raw.get("limit"))
        after = parse_cursor(raw.get("after"))
    except FilterError as err:
        assert str(err)  # a message the user can act on
        return
    page = repo.page(
        query.filter, limit=limit, after=after, dag_ids=["dag_a"], message_contains=query.message
    )
    assert len(page.items) <= limit
    assert repo.count(query.filter, dag_ids=["dag_a"], message_contains=query.message) >= 0
    with db.transaction("checking", write=False) as conn:  # the table is still there, untouched
        assert conn.execute(text("SELECT COUNT(*) FROM errorguard_quarantine")).scalar_one() == 0


@pytest.mark.parametrize("value", ["-1", str(2**63), "99999999999999999999999"])
def test_cursor_outside_a_row_id_range_is_a_filter_error(value: str) -> None:
    """A cursor no 64-bit row id can equal is rejected before it reaches the database."""
    with pytest.raises(FilterError, match="after must be a row id between"):
        parse_cursor(value)
