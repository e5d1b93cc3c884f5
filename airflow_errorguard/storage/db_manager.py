"""
``ErrorGuardDBManager``: lets ``airflow db migrate`` / ``airflow db reset`` manage errorguard's tables.

Registered through the provider info key ``db-managers``. The tables live on a private
``MetaData`` and have their own alembic version table (``alembic_version_errorguard``), as
Airflow's ``RunDBManager`` requires.
"""

from __future__ import annotations

from typing import Any

from airflow.utils.db_manager import BaseDBManager
from sqlalchemy import inspect

from airflow_errorguard.storage.migrate import ALEMBIC_INI, MIGRATIONS_DIR, VERSION_TABLE
from airflow_errorguard.storage.tables import errorguard_metadata

#: errorguard release -> alembic head revision shipped with it.
REVISION_HEADS_MAP: dict[str, str] = {"0.1.0": "b81c4e6f2d95"}


class ErrorGuardDBManager(BaseDBManager):
    """Manages errorguard's tables in Airflow's metadata database."""

    metadata = errorguard_metadata
    version_table_name = VERSION_TABLE
    migration_dir = MIGRATIONS_DIR.as_posix()
    alembic_file = ALEMBIC_INI.as_posix()
    supports_table_dropping = True
    revision_heads_map = REVISION_HEADS_MAP

    def drop_tables(self, connection: Any) -> None:
        """Drop errorguard's tables and version table on *connection* (``airflow db reset``)."""
        if not self.supports_table_dropping:
            return
        inspector = inspect(connection)
        for table in reversed(self.metadata.sorted_tables):
            if inspector.has_table(table.name):
                self.log.info("Dropping table %s", table.name)
                table.drop(connection)
        if inspector.has_table(self.version_table_name):
            self.log.info("Dropping version table %s", self.version_table_name)
            connection.exec_driver_sql(f"DROP TABLE {self.version_table_name}")

    def downgrade(
        self, to_revision: str, from_revision: str | None = None, show_sql_only: bool = False
    ) -> None:
        """Downgrade errorguard's tables to *to_revision* (``airflow db downgrade``-style tooling)."""
        from alembic import command

        config = self.get_alembic_config()
        if from_revision and show_sql_only:
            command.downgrade(config, f"{from_revision}:{to_revision}", sql=True)
        else:
            command.downgrade(config, to_revision, sql=show_sql_only)
