"""
SQLAlchemy's ORM as pipeline code uses it: a ``Session`` over SQLite (a file) and PostgreSQL.
Result shape (``one()``, ``get_one()``), optimistic locking (``version_id_col``), detached and
expired instances, a session left in a failed transaction, flush ordering, mapping mistakes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from tests.corpus.model import C, D, Family, ServiceMissing, T

NEEDS_TMP = True
PG = os.environ.get("ERRORGUARD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class _Base(orm.DeclarativeBase):
    pass


class Order(_Base):
    __tablename__ = "orm_orders"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    ref: orm.Mapped[str] = orm.mapped_column(sa.String(8), unique=True)
    version: orm.Mapped[int] = orm.mapped_column(default=1)
    lines: orm.Mapped[list[Line]] = orm.relationship(back_populates="order", lazy="select")
    __mapper_args__ = {"version_id_col": version}


class Line(_Base):
    __tablename__ = "orm_lines"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    order_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("orm_orders.id"))
    order: orm.Mapped[Order] = orm.relationship(back_populates="lines")


class Plain:
    """A class nobody mapped."""


def build(family: Family, closing: list[Any], tmp: Path) -> None:  # noqa: PLR0915 (one statement per case)
    lite = sa.create_engine(f"sqlite:///{tmp / 'orm.db'}")
    closing.append(lite.dispose)
    _Base.metadata.create_all(lite)
    make = orm.sessionmaker(lite, expire_on_commit=True)
    with make.begin() as s:  # U4 is never changed: the duplicate-key cases use it
        s.add_all([Order(id=n, ref=f"A{n}") for n in (1, 2, 3)] + [Order(id=4, ref="U4")])

    def one(stmt: Any) -> Any:
        def go() -> Any:
            with make() as s:
                return s.execute(stmt).scalar_one()

        return go

    family.add("no-result", one(sa.select(Order).where(Order.ref == "ZZ")), D, "scalar_one(): no row matched")
    family.add("multiple", one(sa.select(Order).where(Order.id > 1)), D, "scalar_one(): two rows matched")

    def get_one() -> None:
        with make() as s:
            s.get_one(Order, 99)

    family.add("get-one", get_one, D, "Session.get_one(): no row with that key")

    def stale() -> None:
        with make() as a, make() as b:
            mine, theirs = a.get(Order, 1), b.get(Order, 1)
            assert mine is not None and theirs is not None
            theirs.ref = "B1"
            b.commit()
            mine.ref = "C1"
            a.commit()

    family.add("stale-version", stale, {T, D}, "optimistic lock: another writer bumped the version")

    def deleted_under() -> None:
        with make() as a, make() as b:
            mine = a.get(Order, 3)
            assert mine is not None
            b.execute(sa.delete(Order).where(Order.id == 3))
            b.commit()
            mine.ref = "D3"
            a.commit()

    family.add(
        "stale-deleted", deleted_under, {T, D}, "the row was deleted by another writer before the UPDATE"
    )

    def detached() -> None:
        with make() as s:
            order = s.get(Order, 2)
        assert order is not None
        _ = order.lines

    family.add("detached-lazy", detached, C, "a lazy load after the session closed: a code defect")

    def expired() -> None:
        with make() as s:
            order = s.get(Order, 2)
            s.commit()
        assert order is not None
        _ = order.ref

    family.add("detached-expired", expired, C, "an attribute expired by commit read after close")

    def pending_rollback() -> None:
        with make() as s:
            s.add(Order(id=10, ref="U4"))
            with contextlib.suppress(sa.exc.IntegrityError):
                s.flush()
            s.execute(sa.select(Order)).all()

    family.add(
        "pending-rollback",
        pending_rollback,
        {C, D},
        "the session is reused after a failed flush (a defect; the first error was the data)",
    )

    def identity_conflict() -> None:
        with make() as s:
            s.get(Order, 1)
            s.add(Order(id=1, ref="X1"))
            s.flush()

    family.add(
        "identity-conflict", identity_conflict, {C, D}, "two objects with one primary key in one session"
    )

    def unique_flush() -> None:
        with make() as s:
            s.add(Order(id=20, ref="U4"))
            s.commit()

    family.add("flush-unique", unique_flush, D, "IntegrityError on flush: a duplicate business key")

    def unmapped() -> None:
        with make() as s:
            s.add(Plain())

    family.add("unmapped-instance", unmapped, C, "Session.add() of an unmapped object")
    family.add("unmapped-class", lambda: make().get(Plain, 1), C, "Session.get() on an unmapped class")

    def other_session() -> None:
        with make() as a, make() as b:
            order = a.get(Order, 2)
            b.add(order)

    family.add("two-sessions", other_session, C, "an object attached to another session")

    def bad_attr() -> None:
        with make() as s:
            s.execute(sa.select(Order).filter_by(nope=1))

    family.add("no-property", bad_attr, C, "filter_by() on a property the model lacks")

    def bad_join() -> None:
        with make() as s:
            s.execute(sa.select(Order).join(Plain)).all()  # type: ignore[call-overload]

    family.add("bad-join", bad_join, C, "a join to something that is not a mapped entity")

    def bad_mapping() -> None:
        class Other(orm.DeclarativeBase):  # a registry of its own: the failure must not spread
            pass

        class Customer(Other):
            __tablename__ = "orm_customers"
            id: orm.Mapped[int] = orm.mapped_column(primary_key=True)

        class Broken(Other):
            __tablename__ = "orm_broken"
            id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
            customer: orm.Mapped[Customer] = orm.relationship()

        Other.registry.configure()

    family.add("mapper-config", bad_mapping, C, "a relationship with no foreign key path")

    def deleted_refresh() -> None:
        with make() as a, make() as b:
            order = a.get(Order, 2)
            assert order is not None
            b.execute(sa.delete(Order).where(Order.id == 2))
            b.commit()
            a.expire(order)
            _ = order.ref

    family.add("object-deleted", deleted_refresh, {T, D}, "the row behind an expired object was deleted")

    # PostgreSQL: the same session mistakes against a server, and a lock the session waits on.
    pg = sa.create_engine(PG.replace("postgresql://", "postgresql+psycopg2://"))
    closing.append(pg.dispose)
    try:
        with pg.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        raise ServiceMissing("PostgreSQL", exc) from exc
    pgmake = orm.sessionmaker(pg)
    schema = f"orm_{os.getpid()}"
    with pg.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    closing.append(lambda: _drop(pg, schema))
    mapped = pg.execution_options(schema_translate_map={None: schema})
    _Base.metadata.create_all(mapped, tables=[Order.__table__, Line.__table__])
    pgmake = orm.sessionmaker(mapped)
    with pgmake.begin() as s:
        s.add_all([Order(id=1, ref="A1"), Order(id=2, ref="A2")])

    def pg_lock() -> None:
        with pgmake() as a, pgmake() as b:
            a.execute(sa.select(Order).where(Order.id == 1).with_for_update()).one()
            b.execute(sa.text("SET LOCAL lock_timeout = '1ms'"))
            b.execute(sa.select(Order).where(Order.id == 1).with_for_update()).one()

    family.add("pg-lock-timeout", pg_lock, T, "SELECT ... FOR UPDATE waited past lock_timeout")

    def pg_nowait() -> None:
        with pgmake() as a, pgmake() as b:
            a.execute(sa.select(Order).where(Order.id == 2).with_for_update()).one()
            b.execute(sa.select(Order).where(Order.id == 2).with_for_update(nowait=True)).one()

    family.add("pg-nowait", pg_nowait, T, "FOR UPDATE NOWAIT on a locked row")

    def pg_pending() -> None:
        with pgmake() as s:
            s.add(Line(id=1, order_id=999))
            with contextlib.suppress(sa.exc.IntegrityError):
                s.flush()
            s.get(Order, 1)

    family.add("pg-pending-rollback", pg_pending, {C, D}, "the session is reused after a failed flush")

    def pg_fk() -> None:
        with pgmake() as s:
            s.add(Line(id=2, order_id=999))
            s.commit()

    family.add("pg-fk", pg_fk, D, "a line pointing at an order that does not exist")

    def pg_stale() -> None:
        with pgmake() as a, pgmake() as b:
            mine, theirs = a.get(Order, 2), b.get(Order, 2)
            assert mine is not None and theirs is not None
            theirs.ref = "B2"
            b.commit()
            mine.ref = "C2"
            a.commit()

    family.add("pg-stale-version", pg_stale, {T, D}, "optimistic lock lost to another writer on PostgreSQL")


def _drop(engine: sa.Engine, schema: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
