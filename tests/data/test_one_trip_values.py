"""``models.one_trip.run`` against SQLAlchemy's own execution, on both databases: the values it
reads back are those SQLAlchemy gives (on PostgreSQL its statements go straight to asyncpg), an
error is SQLAlchemy's and rolls the whole trip back without leaving the pooled connection in a
transaction, and a column default only SQLAlchemy computes still gets its value."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from models import one_trip
from models.db import Database
from models.one_trip import Earlier, Prepared, Unchanged, prepared_insert, run
from models.types import UTCDateTime

NOW = datetime(2026, 11, 24, 7, 0, 1, 250, tzinfo=UTC)


def _table(made: bool = False) -> Table:
    columns: list[Column[Any]] = [
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False, unique=True),
        Column("ratio", Float),
        Column("amount", Numeric(10, 2)),
        Column("day", Date),
        Column("at", UTCDateTime),
        Column("detail", JSON),
        Column("done", Boolean),
    ]
    if made:
        # A default SQLAlchemy computes at execution: only its own execution applies it.
        columns.append(Column("made", String(10), default=lambda: "made"))
    return Table(f"trip_{uuid.uuid4().hex[:8]}", MetaData(), *columns)


async def _created(db: Database, table: Table) -> AsyncIterator[Table]:
    async with db.engine.begin() as connection:
        await connection.run_sync(table.metadata.create_all)
    try:
        yield table
    finally:
        async with db.engine.begin() as connection:
            await connection.run_sync(table.metadata.drop_all)


@pytest.fixture
async def table(db: Database) -> AsyncIterator[Table]:
    async for created in _created(db, _table()):
        yield created


ROW = {
    "name": "a",
    "ratio": 0.25,
    "amount": Decimal("12.50"),
    "day": date(2026, 11, 24),
    "at": NOW,
    "detail": {"k": [1, "dua"], "none": None},
    "done": True,
}
COLUMNS = ("name", "ratio", "amount", "day", "at", "detail", "done")


async def test_values_read_back_as_sqlalchemy_reads_them(db: Database, table: Table) -> None:
    written = await run(db, [(prepared_insert(table, COLUMNS, returning=("id",)), ROW)], write=True)
    [(row_id,)] = written[0].rows
    assert written[0].rowcount == 1
    read = Prepared(select(*table.c).where(table.c.id == bindparam("id")))
    (ours,) = await run(db, [(read, {"id": row_id})], write=False)
    async with db.read_connection() as connection:
        theirs = (await connection.execute(read.statement, {"id": row_id})).all()
    assert ours.rows == [tuple(row) for row in theirs]
    assert ours.rows[0][1:] == tuple(ROW[name] for name in COLUMNS)
    assert type(ours.rows[0][3]) is Decimal and ours.rows[0][5].tzinfo is not None


async def test_an_error_rolls_the_trip_back_as_sqlalchemys(db: Database, table: Table) -> None:
    add = prepared_insert(table, COLUMNS, returning=("id",))
    rename = Prepared(
        update(table).where(table.c.id == bindparam("row")).values(name=bindparam("new"))
    )
    await run(db, [(add, ROW)], write=True)
    # The second row's name taken: the first statement's row is not kept either.
    other = {**ROW, "name": "b"}
    for attempt in range(3):  # the same pooled connections again and again
        with pytest.raises(IntegrityError):
            await run(db, [(add, other), (rename, {"row": Earlier(0), "new": "a"})], write=True)
        with pytest.raises(IntegrityError):  # one statement: a transaction by itself
            await run(db, [(add, ROW)], write=True)
        with pytest.raises(Unchanged):  # the guard: nothing of the trip written
            await run(db, [(add, other), (rename, {"row": -1, "new": "c"})], write=True, guard=1)
        # None of these left a connection in a transaction: what comes next commits.
        await run(db, [(add, {**ROW, "name": f"ok{attempt}"})], write=True)
    names = select(table.c.name).order_by(table.c.name)
    async with db.read_connection() as connection:
        assert (await connection.scalars(names)).all() == ["a", "ok0", "ok1", "ok2"]


async def test_a_default_only_sqlalchemy_computes_is_applied(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        async for table in _created(db, _table(made=True)):
            add = Prepared(insert(table).returning(table.c.id, table.c.made))
            (written,) = await run(db, [(add, {"name": "x"})], write=True)
            assert written.rows[0][1] == "made"
    finally:
        await db.dispose()


async def test_a_trip_cancelled_mid_statement_leaves_no_connection_busy(postgres_url: str) -> None:
    db = Database(postgres_url)
    slow = Prepared(select(func.pg_sleep(bindparam("seconds", type_=Float))))
    quick = Prepared(select(func.count()).select_from(text("pg_stat_activity")))
    try:
        for write in (False, True):
            trip = [(slow, {"seconds": 2.0}), (quick, {})] if write else [(slow, {"seconds": 2})]
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(run(db, trip, write=write), 0.2)
            # The next trips take the same pooled connections (last in, first out).
            for _ in range(3):
                (counted,) = await run(db, [(quick, {})], write=write)
                assert counted.rows[0][0] >= 1
    finally:
        await db.dispose()


async def test_postgresql_statements_go_straight_to_asyncpg(postgres_url: str) -> None:
    """Told to SQLAlchemy's listeners (tests count statements), not executed by SQLAlchemy:
    a SQLAlchemy whose asyncpg adapter changed would quietly take the slower Core path."""
    assert one_trip._adapter_known()
    db = Database(postgres_url)
    told: list[str] = []
    executed: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: told.append(a[2]))
    event.listen(db.engine.sync_engine, "after_cursor_execute", lambda *a: executed.append(a[2]))
    try:
        one = Prepared(select(literal(1, Integer)))
        for write in (False, True):
            await run(db, [(one, {})], write=write)
            await run(db, [(one, {}), (one, {})], write=write)
        assert len(told) == 6 and executed == []
    finally:
        await db.dispose()
