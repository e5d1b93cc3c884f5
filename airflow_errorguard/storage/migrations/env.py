"""
Alembic environment of errorguard's tables (own version table ``alembic_version_errorguard``).

Run by ``airflow db migrate`` through :class:`~airflow_errorguard.storage.db_manager.ErrorGuardDBManager`
(Airflow's metadata engine) and by :func:`airflow_errorguard.storage.migrate.upgrade` (a connection
passed in ``config.attributes["connection"]``, any database).
"""

from __future__ import annotations

import contextlib
from typing import Any

from alembic import context

from airflow_errorguard.storage.migrate import VERSION_TABLE
from airflow_errorguard.storage.tables import errorguard_metadata

config = context.config
target_metadata = errorguard_metadata


def include_object(_obj: Any, name: str | None, type_: str, *_args: Any) -> bool:
    """Only errorguard's tables: the database also holds Airflow's (and maybe others')."""
    return not (type_ == "table" and name not in target_metadata.tables)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with contextlib.ExitStack() as stack:
        connection = config.attributes.get("connection")
        if connection is None:  # `airflow db migrate`: Airflow's metadata database
            from airflow import settings

            if settings.engine is None:
                raise RuntimeError("Airflow's metadata engine is not configured in this process")
            connection = stack.enter_context(settings.engine.connect())
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transaction_per_migration=True,
            render_as_batch=True,
            compare_type=True,
            include_object=include_object,
            version_table=VERSION_TABLE,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
