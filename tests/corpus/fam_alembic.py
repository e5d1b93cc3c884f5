"""Alembic migrations as a deploy step runs them (``alembic.command`` against SQLite files): unknown
and ambiguous revisions, multiple heads, a broken or missing script directory, cycles, a migration's
own SQL failing, and ``alembic check`` finding the models and the database apart."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from tests.corpus.model import C, D, Family

NEEDS_TMP = True

_MIGRATION = '''"""{rev}"""
import sqlalchemy as sa
from alembic import op

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''

_ENV = """from alembic import context
from sqlalchemy import MetaData, create_engine

config = context.config
target = MetaData()
{extra}
engine = create_engine(config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target)
    with context.begin_transaction():
        context.run_migrations()
"""


def _project(root: Path, migrations: list[tuple[str, str | None, str]], extra: str = "") -> Config:
    """A script directory under *root* with *migrations* ``(revision, down_revision, upgrade body)``."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(_ENV.format(extra=extra))
    (root / "migrations" / "script.py.mako").write_text("")
    for rev, down, body in migrations:
        (versions / f"{rev}.py").write_text(_MIGRATION.format(rev=rev, down=down, body=body))
    config = Config()
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{root / 'warehouse.db'}")
    return config


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    logging.getLogger("alembic").setLevel(logging.CRITICAL)
    table = "    op.create_table('orders', sa.Column('id', sa.Integer, primary_key=True))"
    linear = _project(
        tmp / "linear",
        [("a1", None, table), ("b2", "a1", "    op.add_column('orders', sa.Column('qty', sa.Integer))")],
    )

    family.add(
        "unknown-revision", lambda: command.upgrade(linear, "c3d4e5"), C, "a revision id that no script has"
    )
    family.add(
        "relative-past-base", lambda: command.downgrade(linear, "-5"), C, "a relative step beyond base"
    )
    heads = _project(tmp / "heads", [("a1", None, table), ("b2", "a1", "    pass"), ("b3", "a1", "    pass")])
    family.add(
        "multiple-heads", lambda: command.upgrade(heads, "head"), C, "two heads: the branches need a merge"
    )
    cycle = _project(tmp / "cycle", [("a1", "b2", "    pass"), ("b2", "a1", "    pass")])
    family.add("cycle", lambda: command.upgrade(cycle, "head"), C, "revisions that point at each other")
    missing = Config()
    missing.set_main_option("script_location", str(tmp / "no-migrations"))
    family.add("no-script-dir", lambda: command.upgrade(missing, "head"), C, "script_location does not exist")
    family.add(
        "no-script-location", lambda: command.upgrade(Config(), "head"), C, "no script_location at all"
    )
    broken = _project(tmp / "broken", [("a1", None, "    op.create_table('orders'")])
    family.add("syntax", lambda: command.upgrade(broken, "head"), C, "a migration script that does not parse")
    twice = _project(tmp / "twice", [("a1", None, table), ("b2", "a1", table)])
    family.add(
        "table-exists", lambda: command.upgrade(twice, "head"), C, "a migration creating an existing table"
    )
    no_table = _project(tmp / "notable", [("a1", None, "    op.drop_column('customers', 'email')")])
    family.add(
        "no-such-table", lambda: command.upgrade(no_table, "head"), C, "a migration on a table that is absent"
    )
    rows = '    op.execute("INSERT INTO orders VALUES (1)")\n    op.execute("INSERT INTO orders VALUES (1)")'
    duplicate = _project(tmp / "dup", [("a1", None, table), ("b2", "a1", rows)])
    family.add(
        "data-migration",
        lambda: command.upgrade(duplicate, "head"),
        {D, C},
        "a data migration hits a duplicate key",
    )
    models = (
        "target = MetaData()\nsa_table = __import__('sqlalchemy').Table('customers', target, "
        "__import__('sqlalchemy').Column('id', __import__('sqlalchemy').Integer, primary_key=True))"
    )
    drift = _project(tmp / "drift", [("a1", None, table)], extra=models)

    def check() -> None:
        command.upgrade(drift, "head")
        command.check(drift)

    family.add("check-drift", check, C, "alembic check: the models and the database differ")
    stamp_db = tmp / "stamped.db"
    engine = sa.create_engine(f"sqlite:///{stamp_db}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('f00dfeed')")
    engine.dispose()
    stamped = _project(tmp / "stamped", [("a1", None, table)])
    stamped.set_main_option("sqlalchemy.url", f"sqlite:///{stamp_db}")
    family.add(
        "unknown-db-revision",
        lambda: command.upgrade(stamped, "head"),
        C,
        "the database is at a revision this code base does not have",
    )
