"""A migrated errorguard database on SQLite or PostgreSQL, for fixtures parametrised by backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from airflow_errorguard.storage.engine import dispose_engines
from airflow_errorguard.storage.migrate import upgrade
from tests.harness import postgres as pg


def migrated_database(
    backend: str, tmp_path: Path, name: str, prepare: Callable[[str], None]
) -> Iterator[str]:
    """
    Yield the URL of a migrated database (``backend``: ``sqlite`` or ``postgres``) on which
    *prepare* ran; the PostgreSQL database (``errorguard_<name>_...``) is dropped afterwards.
    """
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
        upgrade(url)
        prepare(url)
        yield url
        dispose_engines()
        return
    server = pg.admin_url()
    database = pg.create_database(server, prefix=f"errorguard_{name}_")
    url = pg.airflow_url(server, database)
    try:
        upgrade(url)
        prepare(url)
        yield url
    finally:
        dispose_engines()
        pg.drop_database(server, database)
