"""
File-level idempotency (issue 15 §5): ``FileRecords`` skips the input files an earlier run of the
task committed (by checksum, recorded in the batch's own transaction), lists them in the summary,
processes a changed file, and a SIGKILL between two files loses and duplicates nothing (SQLite
and PostgreSQL).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from airflow_errorguard.exceptions import ErrorGuardConfigError, ErrorGuardStorageError
from airflow_errorguard.guard import GuardedRun, GuardOptions, SqlGuardStore
from airflow_errorguard.guard.sql_sink import SqlTableSink
from airflow_errorguard.sources import FileInput, FileRecords
from airflow_errorguard.storage.committed_files import CommittedFile, CommittedFileRepository, FileScope
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.identity import TaskIdentity
from tests.guard.file_worker import TARGET, create_target, run_files, total
from tests.harness.kill import run_worker, sigkill_at_marker
from tests.harness.migrated_db import migrated_database


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def files_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated errorguard database holding the target table."""
    yield from migrated_database(request.param, tmp_path, "files", create_target)


def query(url: str, sql: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def loaded(url: str) -> Counter[tuple[str, int]]:
    return Counter((r["name"], r["total"]) for r in query(url, f"SELECT name, total FROM {TARGET}"))


def write(directory: Path, **files: str) -> None:
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.txt").write_text(text)


def skipped_names(summary: dict[str, Any]) -> list[str]:
    return sorted(Path(s["path"]).name for s in summary["skipped_files"])


def test_a_rerun_processes_nothing_again_and_a_changed_file_is_processed(
    files_url: str, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    write(inbox, a="1\n2", b="10", c="100", d="1000", e="5", bad="x", dup="1\n2")  # dup: a's bytes

    first = run_files(files_url, str(inbox), "r1", 1)
    assert (first["processed"], first["succeeded"], first["quarantined"]) == (6, 5, 1)
    assert skipped_names(first) == ["dup.txt"], "the same content twice in one listing is one input"
    assert Path(first["skipped_files"][0]["as"]).name == "a.txt"
    expected = Counter(
        {("a.txt", 3): 1, ("b.txt", 10): 1, ("c.txt", 100): 1, ("d.txt", 1000): 1, ("e.txt", 5): 1}
    )
    assert loaded(files_url) == expected

    again = run_files(files_url, str(inbox), "r2", 1)
    assert (again["processed"], again["skipped"]) == (0, 7)
    assert skipped_names(again) == sorted(f"{n}.txt" for n in ("a", "b", "c", "d", "e", "bad", "dup"))
    assert {s["committed_by"] for s in again["skipped_files"]} == {"r1"}
    assert loaded(files_url) == expected, "nothing processed again"
    assert len(query(files_url, "SELECT id FROM errorguard_quarantine")) == 1

    write(inbox, c="200", bad="7", f="9")  # c changed, bad fixed, f new
    third = run_files(files_url, str(inbox), "r3", 1)
    assert (third["processed"], third["succeeded"], third["quarantined"]) == (3, 3, 0)
    assert skipped_names(third) == ["a.txt", "b.txt", "d.txt", "dup.txt", "e.txt"]
    assert loaded(files_url) == expected + Counter({("c.txt", 200): 1, ("bad.txt", 7): 1, ("f.txt", 9): 1})
    committed = query(files_url, "SELECT checksum, run_id FROM errorguard_committed_file")
    assert len(committed) == len({r["checksum"] for r in committed}) == 9  # 6 of r1, 3 of r3
    assert Counter(r["run_id"] for r in committed) == {"r1": 6, "r3": 3}


def test_a_sigkill_between_files_loses_and_duplicates_nothing(files_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write(inbox, **{f"f{n}": str(n) for n in range(8)})
    marker = tmp_path / "paused"
    args = [files_url, str(inbox), "run"]
    sigkill_at_marker("tests.guard.file_worker", [*args, "1", str(marker)], marker, "the third file")
    # Killed with the third file's row written but not committed: two files are committed.
    assert loaded(files_url) == Counter({("f0.txt", 0): 1, ("f1.txt", 1): 1})
    assert len(query(files_url, "SELECT id FROM errorguard_committed_file")) == 2

    summary = run_worker("tests.guard.file_worker", [*args, "2"])
    assert (summary["resumed_from"], summary["processed"], summary["skipped"]) == (2, 8, 0)
    assert loaded(files_url) == Counter({(f"f{n}.txt", n): 1 for n in range(8)})
    assert len(query(files_url, "SELECT id FROM errorguard_committed_file")) == 8

    later = run_files(files_url, str(inbox), "later", 1)
    assert (later["processed"], later["skipped"]) == (0, 8)
    assert {s["committed_by"] for s in later["skipped_files"]} == {"run"}


def test_a_file_another_run_committed_meanwhile_rolls_the_batch_back(files_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write(inbox, a="1", b="2")
    database = Database(get_engine(files_url), conn_id="test")
    identity = TaskIdentity("eg_files", "load_files", "slow", try_number=1)
    store = SqlGuardStore(database, identity, None)
    files = FileRecords(str(inbox), pattern="*.txt").bind(store)
    other = TaskIdentity("eg_files", "load_files", "fast", try_number=1)

    def process(file: FileInput) -> dict[str, Any]:
        if file.path.endswith("a.txt"):  # another run commits a.txt after this one listed it
            CommittedFileRepository(database).add(
                files.scope, other, [CommittedFile(file.checksum, file.path)]
            )
        return total(file)

    run = GuardedRun(process, store, GuardOptions(batch_size=1), sink=SqlTableSink(TARGET))
    with pytest.raises(ErrorGuardStorageError, match="committed by another run of the task meanwhile"):
        run.run(files)
    assert loaded(files_url) == Counter(), "the batch's row was rolled back with it"
    rows = query(files_url, "SELECT path, run_id FROM errorguard_committed_file")
    assert [(Path(r["path"]).name, r["run_id"]) for r in rows] == [("a.txt", "fast")]

    retry = run_files(files_url, str(inbox), "slow", 2)
    assert (retry["processed"], skipped_names(retry)) == (1, ["a.txt"])


@pytest.mark.unit
def test_bad_file_sources_are_refused_with_the_problem_named(tmp_path: Path) -> None:
    with pytest.raises(ErrorGuardConfigError, match="paths must name files or directories"):
        FileRecords([])
    with pytest.raises(ErrorGuardConfigError, match="pattern must be a glob"):
        FileRecords(str(tmp_path), pattern="")
    with pytest.raises(ErrorGuardConfigError, match="name must have 1 to 200 characters"):
        FileRecords(str(tmp_path), name="")
    with pytest.raises(FileNotFoundError, match="neither a file nor a directory"):
        FileRecords(str(tmp_path / "missing")).listing()
    assert FileScope("d", "t").source == "files"


@pytest.mark.unit
def test_object_storage_urls_are_listed_through_object_storage_path(tmp_path: Path) -> None:
    write(tmp_path, one="1", two="2")
    (tmp_path / "skip.csv").write_text("3")
    listing = FileRecords(f"file://{tmp_path}", pattern="*.txt").listing()
    assert [text for text, _ in listing] == [f"file://{tmp_path}/one.txt", f"file://{tmp_path}/two.txt"]
    file = FileInput(listing[0][0], "sha256:-", 1)
    assert file.read_text() == "1"
