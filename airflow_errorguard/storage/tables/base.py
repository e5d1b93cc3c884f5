"""The private ``MetaData`` every errorguard table lives on (never Airflow's ``Base.metadata``)."""

from __future__ import annotations

from sqlalchemy import MetaData

#: Constraint names follow this convention so later migrations (SQLite batch mode) can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

errorguard_metadata = MetaData(naming_convention=NAMING_CONVENTION)
