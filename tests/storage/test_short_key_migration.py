"""
Migration ``d0029be7fa60`` shortens the error-signature keys to 16 hex digits: stored signatures
and the rows referencing them move to the short key (a row whose signature was purged too), every
row reads back with its full context, a writer afterwards reuses the moved signatures, and the
downgrade puts the 32-digit keys of revision ``5b8d3f0e2a17`` back. SQLite and PostgreSQL, with
rows in place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from airflow_errorguard.storage import signatures
from airflow_errorguard.storage.database import Database
from airflow_errorguard.storage.engine import create_storage_engine
from airflow_errorguard.storage.identity import TaskIdentity
from airflow_errorguard.storage.migrate import downgrade, head_revision, upgrade
from airflow_errorguard.storage.quarantine import QuarantineRepository
from airflow_errorguard.storage.quarantine_types import QuarantineItem
from tests.harness import postgres as pg

BEFORE = "d3a7f19c5e60"
STACK = 'Traceback (most recent call last):\n  File "etl.py", line 7, in parse\n    int(v)\nValueError: '
#: (category, type, fingerprint, reason, template, message_at_end) of the stored signatures.
CONTENT: list[signatures.Signature] = [
    ("data", "builtins.ValueError", "fp1", "invalid", STACK, True),
    ("transient", "builtins.TimeoutError", "fp2", "timed out", "Traceback ...\nTimeoutError\n", False),
    ("data", None, None, None, None, False),
]
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _long_key(sig: signatures.Signature) -> str:
    """The key revision 5b8d3f0e2a17 wrote: 32 hex digits of the same SHA-256."""
    category, etype, fp, reason, template, at_end = sig
    text = "\x1f".join(
        (category, etype or "", fp or "", reason or "", template or "", "1" if at_end else "0")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.unit),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'keys.db'}"
        return
    with pg.fresh_database("errorguard_keymig_") as url:
        yield url


def _tables() -> tuple[sa.Table, sa.Table]:
    """The two tables as revision d3a7f19c5e60 had them (the columns this test fills)."""
    meta = sa.MetaData()
    sig = sa.Table(
        "errorguard_error_signature",
        meta,
        sa.Column("signature_key", sa.String(32), primary_key=True),
        *(
            sa.Column(n, sa.Text)
            for n in ("error_category", "error_type", "fingerprint", "reason", "traceback")
        ),
        sa.Column("message_at_end", sa.Boolean),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
    )
    q = sa.Table(
        "errorguard_quarantine",
        meta,
        sa.Column("id", sa.BigInteger, primary_key=True),
        *(sa.Column(n, sa.String(250)) for n in ("dag_id", "task_id", "run_id", "record_key")),
        *(sa.Column(n, sa.Integer) for n in ("map_index", "try_number", "payload_bytes")),
        sa.Column("payload", sa.Text),
        sa.Column("payload_truncated", sa.Boolean),
        *(sa.Column(n, sa.Text) for n in ("error_category", "error_message", "fingerprint", "status")),
        sa.Column("signature_key", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
    )
    return sig, q


def _keys(conn: sa.Connection) -> tuple[set[str], list[str | None]]:
    sig = {k for (k,) in conn.execute(sa.text("SELECT signature_key FROM errorguard_error_signature"))}
    rows = [
        k
        for (k,) in conn.execute(
            sa.text("SELECT signature_key FROM errorguard_quarantine ORDER BY record_key")
        )
    ]
    return sig, rows


def test_keys_move_to_16_digits_and_back(fresh_url: str) -> None:
    upgrade(fresh_url, BEFORE)
    engine = create_storage_engine(fresh_url, pooled=False)
    sig, q = _tables()
    now = NOW if engine.dialect.name == "postgresql" else NOW.replace(tzinfo=None)
    long_keys = [_long_key(c) for c in CONTENT]
    orphan = "f" * 32  # a row whose signature a purge removed: it reads without type and traceback
    with engine.begin() as conn:
        conn.execute(
            sa.insert(sig),
            [
                dict(
                    signature_key=key,
                    error_category=c[0],
                    error_type=c[1],
                    fingerprint=c[2],
                    reason=c[3],
                    traceback=c[4],
                    message_at_end=c[5],
                    created_at=now,
                    last_used_at=now,
                )
                for key, c in zip(long_keys, CONTENT, strict=True)
            ],
        )
        conn.execute(
            sa.insert(q),
            [
                dict(
                    dag_id="d",
                    task_id="t",
                    run_id="r",
                    record_key=f"k{n:02d}",
                    map_index=-1,
                    try_number=1,
                    payload_bytes=2,
                    payload="{}",
                    payload_truncated=False,
                    error_category="data",
                    error_message=f"bad {n}",
                    fingerprint="fp1",
                    status="quarantined",
                    signature_key=key,
                    created_at=now,
                )
                for n, key in enumerate([*long_keys * 4, orphan, None])
            ],
        )

    assert upgrade(fresh_url) == head_revision()
    with engine.connect() as conn:
        sig_keys, row_keys = _keys(conn)
    assert sig_keys == {k[:16] for k in long_keys}
    assert row_keys == [*(k[:16] for k in long_keys * 4), orphan[:16], None]
    assert {signatures.signature_key(c) for c in CONTENT} == sig_keys  # what a writer computes now

    repo = QuarantineRepository(Database(engine))
    first = repo.page(limit=100, include_payload=True).items[-1]  # k00, the oldest id
    assert first.record_key == "k00"
    assert (first.error_type, first.reason, first.traceback) == (
        "builtins.ValueError",
        "invalid",
        f"{STACK}bad 0\n",
    )
    item = QuarantineItem(
        "new", 1, "data", "builtins.ValueError", "bad 99", f"{STACK}bad 99\n", "fp1", "invalid"
    )
    assert repo.add(TaskIdentity("d", "t", "r2"), [item]).inserted == 1
    with engine.connect() as conn:
        assert len(_keys(conn)[0]) == len(CONTENT)  # the moved signature was reused

    downgrade(fresh_url, BEFORE)
    with engine.connect() as conn:
        sig_keys, row_keys = _keys(conn)
        columns = sa.inspect(conn).get_columns("errorguard_quarantine")
    assert sig_keys == set(long_keys)
    assert row_keys[: 4 * len(CONTENT)] == long_keys * 4
    assert row_keys[-3:] == [orphan[:16], None, long_keys[0]]  # k12 (orphan), k13 (None), "new"
    key_type = next(c for c in columns if c["name"] == "signature_key")["type"]
    assert isinstance(key_type, sa.String) and key_type.length == 32
    engine.dispose()
