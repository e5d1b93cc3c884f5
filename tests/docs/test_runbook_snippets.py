"""The operations runbook's Python blocks run as written against a real (SQLite) errorguard database."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest

from airflow_errorguard.storage.audit import AuditRepository
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import get_engine
from airflow_errorguard.storage.events import ErrorEventRepository
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineFilter, QuarantineItem

pytestmark = pytest.mark.unit

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "operations-runbook.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", RUNBOOK.read_text(), re.S)


def _block(containing: str) -> str:
    found = [block for block in _blocks() if containing in block]
    assert len(found) == 1, f"the runbook should have one Python block with {containing!r}"
    return found[0]


@pytest.fixture
def hook(tmp_path: Path) -> SimpleNamespace:
    """What the runbook's ``hook`` offers, over a migrated SQLite file: the same repositories."""
    url = f"sqlite:///{tmp_path / 'errorguard.db'}"
    upgrade(url)
    db = Database(get_engine(url), conn_id="errorguard_default")
    return SimpleNamespace(
        quarantine=QuarantineRepository(db), events=ErrorEventRepository(db), audit=AuditRepository(db)
    )


def test_runbook_has_the_blocks_this_test_runs() -> None:
    assert "test_connection()" in _block("ErrorGuardHook()")
    assert "force_open(" in _block("get_circuit_breaker(")


def test_every_errorguard_command_in_the_runbook_parses() -> None:
    from airflow_errorguard.cli.main import build_parser

    commands = re.findall(r"^(errorguard [^#\n]*?)\s*(?:#.*)?$", RUNBOOK.read_text(), re.M)
    assert len(commands) >= 4
    parser = build_parser()
    for command in commands:
        parser.parse_args(shlex.split(command)[1:])  # argparse exits (SystemExit) on a bad command


def test_quarantine_listing_block_runs(hook: SimpleNamespace) -> None:
    identity = TaskIdentity("orders_guarded", "clean", "manual__1")
    hook.quarantine.add(
        identity, [QuarantineItem.from_exception(f"k{i}", {"i": i}, ValueError("bad")) for i in range(3)]
    )
    namespace: dict[str, object] = {"hook": hook}
    exec(_block("QuarantineFilter("), namespace)  # the documented block, verbatim
    assert isinstance(namespace["flt"], QuarantineFilter)
    assert namespace["row"].record_key in {"k0", "k1", "k2"}  # type: ignore[attr-defined]
    assert hook.quarantine.count(namespace["flt"]) == 3


def test_release_discard_and_purge_as_documented(hook: SimpleNamespace) -> None:
    identity = TaskIdentity("orders_guarded", "clean", "manual__1")
    hook.quarantine.add(
        identity, [QuarantineItem.from_exception(f"k{i}", {"i": i}, ValueError("bad")) for i in range(4)]
    )
    ids = [row.id for row in hook.quarantine.page(limit=10).items]
    text = RUNBOOK.read_text()
    release = re.search(r"`(hook\.quarantine\.release\(ids, [^`]*\))`", text)
    discard = re.search(r"`(hook\.quarantine\.discard\(ids, [^`]*\))`", text.replace("\n", " "))
    assert release and discard
    namespace: dict[str, object] = {"hook": hook, "ids": ids[:2]}
    assert eval(release.group(1), namespace).changed == ids[:2]
    assert eval(discard.group(1).replace("  ", " "), {**namespace, "ids": ids[2:]}).changed == ids[2:]
    again = eval(release.group(1), namespace)
    assert again.changed == [] and set(again.skipped) == set(ids[:2])
    assert len(hook.audit.history("quarantine", ids[0])) == 1
    # The purge block: nothing is old enough yet, then everything resolved is.
    namespace = {"hook": hook}
    exec(_block("purge("), namespace)
    assert hook.quarantine.count() == 4
    future = _block("purge(").replace("timedelta(days=90)", "timedelta(days=-1)")
    exec(future, namespace)
    assert hook.quarantine.count() == 0  # released and discarded rows purged
