"""
Every Python block in ``docs/`` runs, imports included, so a snippet cannot drift (issue 17 §5).

The blocks of one page run in order in one namespace, as a reader pastes them, against a real
errorguard database (``AIRFLOW_CONN_ERRORGUARD_DEFAULT`` on a migrated SQLite file with one
quarantined record and a stand-in for Airflow's ``dag_run``). The namespace starts with stand-ins
for **the reader's own code** only (:func:`_readers_code`: ``extract``, ``normalise``...), never
with errorguard or Airflow names: a
block that uses one must import it. A block preceded by ``<!-- snippet: not-run (why) -->`` is
not run; there may be at most :data:`MAX_NOT_RUN` of them, each saying why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.airflow

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"(<!-- snippet: not-run \((?P<why>[^)]+)\) -->\n)?```python\n(?P<code>.*?)```", re.S)
MAX_NOT_RUN = 3


def _readers_code() -> dict[str, Any]:
    """Stand-ins for the functions and values the docs leave to the reader."""
    from airflow_errorguard.storage.checkpoints import CheckpointKey
    from airflow_errorguard.storage.identity import TaskIdentity
    from airflow_errorguard.storage.quarantine_types import QuarantineItem

    def records() -> list[dict[str, Any]]:
        return [{"id": 1, "amount": "1.5"}]

    identity = TaskIdentity("orders", "clean", "manual__docs", try_number=1)
    return {
        "extract": records,
        "fetch_orders": lambda after=0: records(),
        "fetch_page": lambda page: [{"page": page}],
        "normalise": lambda record: record,
        "price": lambda record: record,
        "fix_order": lambda payload: payload,
        "post_order": lambda order: None,
        "process": lambda batch: (batch, []),
        "upsert_orders": lambda outputs, context: None,
        "crm_url": lambda: "http://127.0.0.1:9/contacts",
        "batch_a": records(),
        "batch_b": records(),
        "exc": TimeoutError("read timed out after 30 s"),
        "identity": identity,
        "items": [QuarantineItem.from_exception("docs-1", {"id": 1}, ValueError("bad amount"))],
        "key": CheckpointKey.for_task(identity, "docs"),
        "fingerprint": "3f1c9a0b7d2e4c55",
        "row_id": 1,
        "ids": [1],
    }


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "```python" in p.read_text())


def _blocks(page: Path) -> Iterator[tuple[int, str | None, str]]:
    text = page.read_text()
    for match in BLOCK.finditer(text):
        yield text[: match.start("code")].count("\n") + 1, match.group("why"), match.group("code")


def test_docs_have_python_blocks_and_few_are_not_run() -> None:
    blocks = [block for page in _pages() for block in _blocks(page)]
    assert len(blocks) >= 20
    not_run = [(line, why) for line, why, _ in blocks if why is not None]
    assert len(not_run) <= MAX_NOT_RUN, not_run
    assert all(why.strip() for _, why in not_run)


@pytest.fixture
def errorguard_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated errorguard database behind ``errorguard_default``, with one quarantined record."""
    from airflow_errorguard.storage.database import Database
    from airflow_errorguard.storage.engine import dispose_engines, get_engine
    from airflow_errorguard.storage.identity import TaskIdentity
    from airflow_errorguard.storage.migrate import upgrade
    from airflow_errorguard.storage.quarantine import QuarantineRepository
    from airflow_errorguard.storage.quarantine_types import QuarantineItem

    url = f"sqlite:///{tmp_path / 'errorguard.db'}"
    upgrade(url)
    # Airflow's dag_run next to the tables, as in the metadata database (orphan detection reads it).
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE dag_run (dag_id VARCHAR(250), run_id VARCHAR(250))")
    QuarantineRepository(Database(engine)).add(
        TaskIdentity("orders_guarded", "clean", "manual__1", try_number=1),
        [QuarantineItem.from_exception("1", {"id": 1}, ValueError("bad amount"))],
    )
    monkeypatch.setenv("AIRFLOW_CONN_ERRORGUARD_DEFAULT", url)
    yield url
    dispose_engines()


def _page_params() -> list[Any]:
    """The pages; those that build a retry policy (``...RetryPolicy(``) need Airflow 3.3."""
    return [
        pytest.param(p, marks=pytest.mark.airflow33) if "RetryPolicy(" in p.read_text() else p
        for p in _pages()
    ]


@pytest.mark.parametrize("page", _page_params(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_python_block_of_the_page_runs(page: Path, errorguard_db: str) -> None:
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}", **_readers_code()}
    for line, why, code in _blocks(page):
        if why is not None:
            compile(code, f"{page.name}:{line}", "exec")  # not run, but still valid Python
            continue
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as err:
            raise AssertionError(f"{page.relative_to(DOCS)}, block at line {line}: {err!r}\n{code}") from err
